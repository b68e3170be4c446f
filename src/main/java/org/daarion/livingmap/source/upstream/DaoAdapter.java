package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.event.EntityIds;

/**
 * dao-service (Bearer token required). {@code GET /dao} lists the DAOs (complete for {@code dao});
 * then {@code GET /dao/{slug}} per DAO, at most {@link SourcePolicy#detailConcurrency()} at once,
 * gives the counts and the treasury. A failed detail makes the poll partial and that DAO keeps its
 * counts from before.
 *
 * <p>Canonical id {@code dao:<slug>}; the UUID is an alias and {@code extra.uuid}; {@code
 * microdao_id} stays the raw UUID. (The slug is not registered as an alias: it is the canonical
 * id's own part and resolves without one, and an alias {@code daarion} could shadow a microDAO of
 * the same slug.)
 *
 * <p>Active proposals, one rule: the upstream count is the truth at the time of the poll. A poll
 * sets {@code extra.active_proposals_base} to it and clears {@code extra.active_proposal_ids}, so
 * {@code active_proposals} = base + proposals that events saw opened after the poll, and nothing is
 * counted twice. (A proposal opened before the poll and closed after it keeps counting until the
 * next poll re-bases, at most one poll interval.) {@code extra.treasury} is the token-to-balance
 * map the treasury events update.
 */
final class DaoAdapter extends Adapter {
  static final String LIST = "/dao";

  DaoAdapter(UpstreamHttp http) {
    super(http);
  }

  @Override
  protected Future<PatchSet> doFetch(Report r) {
    return required(LIST, r)
        .compose(
            reply ->
                parse(
                    () -> {
                      Parsed parsed =
                          parseItems(reply, Fields.list(reply, "items", "daos"), DaoAdapter::dao);
                      PatchSet set = new PatchSet();
                      set.addAll(parsed.patches());
                      if (parsed.allValid()) {
                        set.complete("dao");
                      } else {
                        skipped(r, reply);
                      }
                      return new Listed(parsed, set);
                    }))
        // The overview requests go out from the poller's context, once the list is parsed.
        .compose(listed -> details(listed.parsed().patches(), r).map(v -> listed.set()));
  }

  /** The DAO list as parsed, and the patches made of it. */
  private record Listed(Parsed parsed, PatchSet set) {}

  /** Fetches every DAO's overview with bounded concurrency; completes when all are done. */
  private Future<Void> details(List<PatchSet.Patch> daos, Report r) {
    if (daos.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    int[] next = {0};
    int[] finished = {0};
    List<String> failed = new ArrayList<>();
    int workers = Math.min(http.policy().detailConcurrency(), daos.size());
    Runnable[] pump = new Runnable[1];
    pump[0] =
        () -> {
          if (next[0] >= daos.size()) {
            return;
          }
          PatchSet.Patch dao = daos.get(next[0]++);
          String slug = dao.fields.getString("slug", dao.id.substring(dao.id.indexOf(':') + 1));
          String path = LIST + "/" + URLEncoder.encode(slug, StandardCharsets.UTF_8);
          required(path, r)
              .onComplete(
                  ar -> {
                    if (ar.succeeded()) {
                      try {
                        overview(dao, Fields.object(ar.result()), path);
                      } catch (UpstreamException e) {
                        failed.add(e.getMessage());
                      }
                    } else {
                      failed.add(asUpstream(ar.cause()).getMessage());
                    }
                    if (++finished[0] == daos.size()) {
                      if (!failed.isEmpty()) {
                        r.problems.add(
                            failed.size()
                                + " of "
                                + daos.size()
                                + " DAO details failed: "
                                + failed.get(0));
                      }
                      done.complete();
                    } else {
                      pump[0].run();
                    }
                  });
        };
    for (int i = 0; i < workers; i++) {
      pump[0].run();
    }
    return done.future();
  }

  /** One {@code DaoRead}. */
  static PatchSet.Patch dao(JsonObject o) {
    String uuid = Fields.str(o, "id");
    String slug = Fields.str(o, "slug");
    String ref = slug != null ? slug : uuid;
    if (ref == null) {
      return null;
    }
    PatchSet.Patch p = new PatchSet.Patch("dao", EntityIds.canonical("dao", ref));
    p.field("name", Fields.str(o, "name"))
        .field("slug", slug)
        .field("type", "dao")
        .field("microdao_id", Fields.str(o, "microdao_id"))
        .field("status", Fields.activeStatus(Fields.bool(o, "is_active")));
    p.extra("uuid", uuid)
        .extra("description", Fields.str(o, "description"))
        .extra("governance_model", Fields.str(o, "governance_model"))
        .extra("quorum_percent", Fields.num(o, "quorum_percent"))
        .extra("voting_period_seconds", Fields.integer(o, "voting_period_seconds"))
        .extra("owner_user_id", Fields.str(o, "owner_user_id"))
        .extra("created_at", Fields.str(o, "created_at"));
    p.alias(uuid);
    return p;
  }

  /** Adds a {@code DaoOverview} to the DAO's patch. */
  static void overview(PatchSet.Patch p, JsonObject o, String path) {
    if (!o.containsKey("active_proposals_count")
        && !o.containsKey("treasury_items")
        && !o.containsKey("members_count")) {
      throw UpstreamException.badPayload(path, "expected a DAO overview");
    }
    Long active = Fields.integer(o, "active_proposals_count");
    if (active != null) {
      p.field("active_proposals", active);
      p.extra("active_proposals_base", active);
      p.extra("active_proposal_ids", new JsonArray());
    }
    p.extra("members_count", Fields.integer(o, "members_count"))
        .extra("proposals_total", Fields.integer(o, "total_proposals_count"));
    JsonArray items = Fields.arr(o, "treasury_items");
    if (items != null) {
      JsonObject treasury = new JsonObject();
      double total = 0;
      for (Object item : items) {
        if (item instanceof JsonObject t) {
          Double balance = Fields.num(t, "balance");
          if (balance != null) {
            String symbol = Fields.str(t, "token_symbol");
            String key = symbol == null ? "UNKNOWN" : symbol;
            treasury.put(key, treasury.getDouble(key, 0.0) + balance);
            total += balance;
          }
        }
      }
      p.extra("treasury", treasury);
      p.field("treasury_value", total);
    }
  }
}
