package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.daarion.livingmap.event.EntityIds;

/**
 * city-service. Three resources, asked in parallel, each optional (a 404 means the service lacks
 * it):
 *
 * <ul>
 *   <li>{@code GET /api/city/snapshot} (the spec path; camelCase): the current user's microDAO and
 *       a handful of nodes and agents. It is a view, not a list, so it never decides which entities
 *       exist: its entries update entities that exist, and when a list below is complete its
 *       entries for ids the list lacks are dropped.
 *   <li>{@code GET /city/microdao}: every microDAO of the city, complete for {@code microdao}.
 *       {@code id: "dao_daarion", slug: "daarion"} becomes {@code microdao:daarion}.
 *   <li>{@code GET /public/nodes}: every node in the node cache, complete for {@code node}.
 * </ul>
 *
 * The poll succeeds when any of them answered; the failed ones are its problems.
 */
final class CityAdapter extends Adapter {
  static final String SNAPSHOT = "/api/city/snapshot";
  static final String MICRODAOS = "/city/microdao";
  static final String NODES = "/public/nodes";

  CityAdapter(UpstreamHttp http) {
    super(http);
  }

  @Override
  protected Future<PatchSet> doFetch(Report r) {
    Future<Optional<UpstreamHttp.Reply>> snapshot = optional(SNAPSHOT, r);
    Future<Optional<UpstreamHttp.Reply>> microdaos = optional(MICRODAOS, r);
    Future<Optional<UpstreamHttp.Reply>> nodes = optional(NODES, r);
    return Future.join(snapshot, microdaos, nodes)
        .transform(
            ignored ->
                parseThen(
                    () -> {
                      List<Throwable> errors = new ArrayList<>();
                      int answered = 0;
                      PatchSet set = new PatchSet();

                      Parsed microdaoList = null;
                      Optional<UpstreamHttp.Reply> m = outcome(microdaos, errors);
                      if (m != null && m.isPresent()) {
                        try {
                          microdaoList =
                              parseItems(
                                  m.get(),
                                  Fields.list(m.get(), "items", "microdaos"),
                                  CityAdapter::microdao);
                          answered++;
                        } catch (UpstreamException e) {
                          errors.add(e);
                        }
                      }
                      Parsed nodeList = null;
                      Optional<UpstreamHttp.Reply> n = outcome(nodes, errors);
                      if (n != null && n.isPresent()) {
                        try {
                          nodeList =
                              parseItems(
                                  n.get(),
                                  Fields.list(n.get(), "items", "nodes"),
                                  CityAdapter::node);
                          answered++;
                        } catch (UpstreamException e) {
                          errors.add(e);
                        }
                      }
                      boolean microdaosComplete = microdaoList != null && microdaoList.allValid();
                      boolean nodesComplete = nodeList != null && nodeList.allValid();
                      if (microdaoList != null && !microdaoList.allValid()) {
                        skipped(r, m.get());
                      }
                      if (nodeList != null && !nodeList.allValid()) {
                        skipped(r, n.get());
                      }

                      Optional<UpstreamHttp.Reply> s = outcome(snapshot, errors);
                      if (s != null && s.isPresent()) {
                        try {
                          JsonObject body = Fields.object(s.get());
                          if (Fields.obj(body, "microdao") == null
                              && Fields.arr(body, "nodes") == null
                              && Fields.arr(body, "agents") == null) {
                            throw UpstreamException.badPayload(
                                SNAPSHOT, "expected microdao, nodes or agents");
                          }
                          Set<String> listedMicrodaos =
                              microdaosComplete ? new HashSet<>(microdaoList.ids()) : null;
                          Set<String> listedNodes =
                              nodesComplete ? new HashSet<>(nodeList.ids()) : null;
                          // The snapshot first, so the lists (the real DAARION data) win where both
                          // speak.
                          for (PatchSet.Patch p : snapshotPatches(body)) {
                            Set<String> listed =
                                p.type.equals("microdao")
                                    ? listedMicrodaos
                                    : p.type.equals("node") ? listedNodes : null;
                            if (listed == null || listed.contains(p.id)) {
                              set.add(p);
                            }
                          }
                          answered++;
                        } catch (UpstreamException e) {
                          errors.add(e);
                        }
                      }
                      if (microdaoList != null) {
                        set.addAll(microdaoList.patches());
                        if (microdaosComplete) {
                          set.complete("microdao");
                        }
                      }
                      if (nodeList != null) {
                        set.addAll(nodeList.patches());
                        if (nodesComplete) {
                          set.complete("node");
                        }
                      }
                      if (answered == 0) {
                        return Future.failedFuture(
                            firstError(errors, String.join(", ", SNAPSHOT, MICRODAOS, NODES)));
                      }
                      for (Throwable t : errors) {
                        r.problems.add(asUpstream(t).getMessage());
                      }
                      return Future.succeededFuture(set);
                    }));
  }

  /** The value of a finished future, or null after adding its failure to {@code errors}. */
  private static <T> T outcome(Future<T> f, List<Throwable> errors) {
    if (f.succeeded()) {
      return f.result();
    }
    errors.add(f.cause());
    return null;
  }

  static String microdaoId(JsonObject o) {
    String slug = Fields.str(o, "slug");
    if (slug != null) {
      return EntityIds.canonical("microdao", slug);
    }
    String id = Fields.str(o, "id");
    if (id == null) {
      return null;
    }
    if (id.startsWith("dao_")) {
      id = id.substring(4);
    }
    return EntityIds.canonical("microdao", id);
  }

  /** One {@code MicrodaoSummary} of {@code /city/microdao}. */
  static PatchSet.Patch microdao(JsonObject o) {
    String id = microdaoId(o);
    if (id == null) {
      return null;
    }
    PatchSet.Patch p = new PatchSet.Patch("microdao", id);
    p.field("name", Fields.str(o, "name"))
        .field("slug", Fields.str(o, "slug"))
        .field("description", Fields.str(o, "description"))
        .field("members", Fields.integer(o, "member_count"))
        .field("agents", Fields.integer(o, "agents_count"))
        .field("status", Fields.activeStatus(Fields.bool(o, "is_active")));
    p.extra("city_id", Fields.str(o, "id"))
        .extra("district", Fields.str(o, "district"))
        .extra("is_platform", Fields.bool(o, "is_platform"))
        .extra("is_public", Fields.bool(o, "is_public"))
        .extra("orchestrator_agent_id", Fields.str(o, "orchestrator_agent_id"))
        .extra("channels_count", Fields.integer(o, "channels_count"))
        .extra("parent_microdao_slug", Fields.str(o, "parent_microdao_slug"));
    p.alias(Fields.str(o, "id")).alias(Fields.str(o, "slug"));
    return p;
  }

  /** One {@code NodeProfile} of {@code /public/nodes}. */
  static PatchSet.Patch node(JsonObject o) {
    String raw = Fields.str(o, "node_id");
    if (raw == null) {
      raw = Fields.str(o, "id");
    }
    if (raw == null) {
      return null;
    }
    PatchSet.Patch p = new PatchSet.Patch("node", EntityIds.canonical("node", raw));
    p.field("name", Fields.str(o, "name"))
        .field("status", nodeStatus(Fields.str(o, "status")))
        .field("last_seen", Fields.isoTime(Fields.str(o, "last_heartbeat")));
    JsonArray microdaos = Fields.arr(o, "microdaos");
    if (microdaos != null && !microdaos.isEmpty()) {
      Object first = microdaos.getValue(0);
      String ref =
          first instanceof JsonObject mo
              ? Optional.ofNullable(Fields.str(mo, "id")).orElse(Fields.str(mo, "slug"))
              : first instanceof String str ? str : null;
      p.field("microdao_id", ref);
    }
    p.extra("hostname", Fields.str(o, "hostname"))
        .extra("roles", Fields.arr(o, "roles"))
        .extra("environment", Fields.str(o, "environment"))
        .extra("agents_total", Fields.integer(o, "agents_total"))
        .extra("agents_online", Fields.integer(o, "agents_online"))
        .extra("gpu_info", gpuInfo(o.getValue("gpu_info")));
    return p;
  }

  /** {@code gpu_info} is JSONB handed back as a string. */
  private static Object gpuInfo(Object v) {
    if (v instanceof String s) {
      try {
        return new JsonObject(s);
      } catch (DecodeException | ClassCastException e) {
        return s;
      }
    }
    return v instanceof JsonObject ? v : null;
  }

  /** The camelCase {@code CitySnapshot}: its microDAO, nodes and agents. */
  static List<PatchSet.Patch> snapshotPatches(JsonObject body) {
    List<PatchSet.Patch> out = new ArrayList<>();
    JsonObject m = Fields.obj(body, "microdao");
    if (m != null && Fields.str(m, "id") != null) {
      PatchSet.Patch p =
          new PatchSet.Patch("microdao", EntityIds.canonical("microdao", Fields.str(m, "id")));
      p.field("name", Fields.str(m, "name")).field("members", Fields.integer(m, "members"));
      p.extra("humans", Fields.integer(m, "humans"))
          .extra("balance_dcr", Fields.num(m, "balanceDcr"))
          .extra("activity_24h", Fields.num(m, "activity24h"));
      out.add(p);
    }
    JsonArray nodes = Fields.arr(body, "nodes");
    if (nodes != null) {
      for (Object o : nodes) {
        if (o instanceof JsonObject n && Fields.str(n, "id") != null) {
          PatchSet.Patch p =
              new PatchSet.Patch("node", EntityIds.canonical("node", Fields.str(n, "id")));
          p.field("name", Fields.str(n, "label"))
              .field("status", nodeStatus(Fields.str(n, "status")));
          Double gpu = Fields.num(n, "gpuLoad");
          if (gpu != null) {
            p.field("metrics", new JsonObject().put("gpu", gpu));
          }
          p.extra("latency_ms", Fields.num(n, "latencyMs"))
              .extra("agents", Fields.integer(n, "agents"));
          out.add(p);
        }
      }
    }
    JsonArray agents = Fields.arr(body, "agents");
    if (agents != null) {
      for (Object o : agents) {
        if (o instanceof JsonObject a && Fields.str(a, "id") != null) {
          // Presence belongs to agent events and agents-service; the snapshot's word on it is a
          // view for one user, so only the name and what the agent last did are taken.
          PatchSet.Patch p =
              new PatchSet.Patch("agent", EntityIds.canonical("agent", Fields.str(a, "id")));
          p.field("name", Fields.str(a, "name"));
          p.extra("city_role", Fields.str(a, "role"))
              .extra("last_action", Fields.str(a, "lastAction"));
          out.add(p);
        }
      }
    }
    return out;
  }
}
