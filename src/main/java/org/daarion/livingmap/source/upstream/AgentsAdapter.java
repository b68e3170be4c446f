package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.daarion.livingmap.event.EntityIds;

/**
 * agents-service. {@code GET /agents} lists active agents only, so {@code GET
 * /agents?is_active=false} is asked too and the two are joined; together they are complete for
 * {@code agent}. When the second answers 400/404/405/422 the service does not support the filter
 * (then the first list is taken as complete, and the filter is asked again every {@code
 * specRetryEvery} polls); when it fails otherwise, the poll is partial and not complete.
 *
 * <p>The canonical id is the external id ({@code agent:sofia}); the UUID is an alias and {@code
 * extra.uuid}, and {@code microdao_id} stays the raw UUID (resolved through aliases).
 *
 * <p>Presence: {@code is_active} says whether an agent is enabled, not whether it is online, which
 * agent events say. So {@code is_active: false} always gives {@code offline}, and an active agent
 * gets {@code online} only when this adapter first sees it or sees it re-enabled; otherwise the
 * poll leaves the status to the events.
 */
final class AgentsAdapter extends Adapter {
  static final String AGENTS = "/agents";
  static final String INACTIVE = "/agents?is_active=false";

  private final Map<String, Boolean> lastActive = new HashMap<>();
  private final Fallback inactiveFilter;

  AgentsAdapter(UpstreamHttp http) {
    super(http);
    inactiveFilter = new Fallback(http.policy().specRetryEvery());
  }

  @Override
  protected Future<PatchSet> doFetch(Report r) {
    Future<UpstreamHttp.Reply> active = required(AGENTS, r);
    Future<Fallback.Served<Optional<UpstreamHttp.Reply>>> inactive =
        inactiveFilter.run(() -> inactiveList(r), () -> Future.succeededFuture(Optional.empty()));
    return Future.join(active, inactive)
        .transform(
            ignored ->
                parseThen(
                    () -> {
                      if (active.failed()) {
                        return Future.failedFuture(active.cause());
                      }
                      UpstreamHttp.Reply reply = active.result();
                      Parsed parsed =
                          parseItems(reply, Fields.list(reply, "items", "agents"), this::agent);
                      PatchSet set = new PatchSet();
                      set.addAll(parsed.patches());
                      boolean complete = parsed.allValid();
                      if (!parsed.allValid()) {
                        skipped(r, reply);
                      }
                      if (inactive.failed()) {
                        complete = false;
                        r.problems.add(
                            asUpstream(inactive.cause()).getMessage()
                                + "; inactive agents unknown, list not complete");
                      } else if (inactive.result().value().isPresent()) {
                        UpstreamHttp.Reply more = inactive.result().value().get();
                        try {
                          Parsed extra =
                              parseItems(more, Fields.list(more, "items", "agents"), this::agent);
                          set.addAll(extra.patches());
                          if (!extra.allValid()) {
                            complete = false;
                            skipped(r, more);
                          }
                        } catch (UpstreamException e) {
                          complete = false;
                          r.problems.add(e.getMessage());
                        }
                      }
                      if (complete) {
                        set.complete("agent");
                      }
                      rememberPresence(set);
                      return Future.succeededFuture(set);
                    }));
  }

  private Future<Optional<UpstreamHttp.Reply>> inactiveList(Report r) {
    return http.get(INACTIVE)
        .recover(
            err -> {
              if (err instanceof UpstreamException u && (u.status() == 400 || u.status() == 422)) {
                return Future.failedFuture(UpstreamException.http(INACTIVE, 404, http.tokenSet()));
              }
              return Future.failedFuture(err);
            })
        .compose(
            reply -> {
              if (reply.notFound()) {
                return Future.failedFuture(
                    UpstreamException.http(INACTIVE, reply.status(), http.tokenSet()));
              }
              r.answered(reply);
              return Future.succeededFuture(Optional.of(reply));
            });
  }

  /** Keeps what was sent about each agent's {@code is_active}, for the presence rule. */
  private void rememberPresence(PatchSet set) {
    for (PatchSet.Patch p : set.patches()) {
      Boolean active = p.extra.getBoolean("is_active");
      if (active != null) {
        lastActive.put(p.id, active);
      }
    }
  }

  /** One {@code AgentRead}. */
  PatchSet.Patch agent(JsonObject o) {
    String uuid = Fields.str(o, "id");
    String external = Fields.str(o, "external_id");
    String ref = external != null ? external : uuid;
    if (ref == null) {
      return null;
    }
    PatchSet.Patch p = new PatchSet.Patch("agent", EntityIds.canonical("agent", ref));
    Boolean isActive = Fields.bool(o, "is_active");
    p.field("name", Fields.str(o, "name"))
        .field("kind", Fields.str(o, "kind"))
        .field("model", Fields.str(o, "model"))
        .field("microdao_id", Fields.str(o, "microdao_id"));
    if (Boolean.FALSE.equals(isActive)) {
      p.field("status", "offline");
    } else if (Boolean.TRUE.equals(isActive) && !Boolean.TRUE.equals(lastActive.get(p.id))) {
      p.field("status", "online");
    }
    p.extra("uuid", uuid)
        .extra("is_active", isActive)
        .extra("description", Fields.str(o, "description"))
        .extra("blueprint_id", Fields.str(o, "blueprint_id"))
        .extra("owner_user_id", Fields.str(o, "owner_user_id"))
        .extra("tools_enabled", Fields.arr(o, "tools_enabled"))
        .extra("avatar_url", Fields.str(o, "avatar_url"))
        .extra("created_at", Fields.str(o, "created_at"))
        .extra("updated_at", Fields.str(o, "updated_at"))
        .extra("node_id", nodeRef(o));
    p.alias(uuid);
    return p;
  }

  /**
   * The node an agent runs on, where the service says (neither DAARION nor the simulator does yet).
   */
  private static String nodeRef(JsonObject o) {
    String node = Fields.str(o, "node_id");
    return node == null ? null : EntityIds.canonical("node", node);
  }
}
