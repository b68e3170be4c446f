package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.daarion.livingmap.event.EntityIds;

/**
 * microdao-service. Spec path {@code GET /internal/microdaos} (absent in DAARION), real path {@code
 * GET /microdao} (Bearer token required); complete for {@code microdao}. The canonical id is the
 * external id ({@code microdao:daarion}, or {@code microdao:3d000008} for one created later); the
 * UUID and the slug are aliases.
 */
final class MicrodaoAdapter extends Adapter {
  static final String SPEC = "/internal/microdaos";
  static final String REAL = "/microdao";

  private final Fallback fallback;

  MicrodaoAdapter(UpstreamHttp http) {
    super(http);
    fallback = new Fallback(http.policy().specRetryEvery());
  }

  @Override
  protected Future<PatchSet> doFetch(Report r) {
    return fallback
        .run(() -> list(SPEC, r), () -> list(REAL, r))
        .map(
            served -> {
              r.fallback = served.used() == Fallback.Used.FALLBACK;
              return served.value();
            });
  }

  private Future<PatchSet> list(String path, Report r) {
    return required(path, r)
        .compose(
            reply ->
                parse(
                    () -> {
                      Parsed parsed =
                          parseItems(
                              reply,
                              Fields.list(reply, "items", "microdaos"),
                              MicrodaoAdapter::microdao);
                      PatchSet set = new PatchSet();
                      set.addAll(parsed.patches());
                      if (parsed.allValid()) {
                        set.complete("microdao");
                      } else {
                        skipped(r, reply);
                      }
                      return set;
                    }));
  }

  /** One {@code MicrodaoRead}. */
  static PatchSet.Patch microdao(JsonObject o) {
    String uuid = Fields.str(o, "id");
    String slug = Fields.str(o, "slug");
    String external = Fields.str(o, "external_id");
    String ref = external != null ? external : slug != null ? slug : uuid;
    if (ref == null) {
      return null;
    }
    PatchSet.Patch p = new PatchSet.Patch("microdao", EntityIds.canonical("microdao", ref));
    Long agents = Fields.integer(o, "agent_count");
    p.field("name", Fields.str(o, "name"))
        .field("slug", slug)
        .field("description", Fields.str(o, "description"))
        .field("members", Fields.integer(o, "member_count"))
        .field("agents", agents != null ? agents : Fields.integer(o, "agents_count"))
        .field("status", Fields.activeStatus(Fields.bool(o, "is_active")));
    p.extra("uuid", uuid)
        .extra("owner_user_id", Fields.str(o, "owner_user_id"))
        .extra("created_at", Fields.str(o, "created_at"))
        .extra("updated_at", Fields.str(o, "updated_at"));
    p.alias(uuid).alias(slug);
    return p;
  }
}
