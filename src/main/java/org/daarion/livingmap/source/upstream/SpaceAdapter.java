package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.event.EntityIds;

/**
 * space-service. The spec path {@code GET /api/space/scene} ({@code {planets:[…], nodes:[…]}}) is
 * absent in DAARION, which serves {@code GET /space/planets} (DAO planets, complete for {@code
 * dao}) and {@code GET /space/nodes} (complete for {@code node}); both shapes are normalised the
 * same way. From the real paths, one of the two answering is a partial poll.
 */
final class SpaceAdapter extends Adapter {
  static final String SCENE = "/api/space/scene";
  static final String PLANETS = "/space/planets";
  static final String NODES = "/space/nodes";

  private final Fallback fallback;

  SpaceAdapter(UpstreamHttp http) {
    super(http);
    this.fallback = new Fallback(http.policy().specRetryEvery());
  }

  @Override
  protected Future<PatchSet> doFetch(Report r) {
    return fallback
        .run(() -> scene(r), () -> split(r))
        .map(
            served -> {
              r.fallback = served.used() == Fallback.Used.FALLBACK;
              return served.value();
            });
  }

  private Future<PatchSet> scene(Report r) {
    return required(SCENE, r)
        .compose(
            reply ->
                parse(
                    () -> {
                      JsonObject body = Fields.object(reply);
                      JsonArray planets = Fields.arr(body, "planets");
                      JsonArray nodes = Fields.arr(body, "nodes");
                      if (planets == null && nodes == null) {
                        throw UpstreamException.badPayload(SCENE, "expected planets or nodes");
                      }
                      PatchSet set = new PatchSet();
                      if (planets != null) {
                        add(set, r, reply, parseItems(reply, planets, SpaceAdapter::planet), "dao");
                      }
                      if (nodes != null) {
                        add(set, r, reply, parseItems(reply, nodes, SpaceAdapter::node), "node");
                      }
                      return set;
                    }));
  }

  private Future<PatchSet> split(Report r) {
    Future<UpstreamHttp.Reply> planets = required(PLANETS, r);
    Future<UpstreamHttp.Reply> nodes = required(NODES, r);
    return Future.join(planets, nodes)
        .transform(
            ignored ->
                parseThen(
                    () -> {
                      PatchSet set = new PatchSet();
                      List<Throwable> errors = new ArrayList<>();
                      int answered = 0;
                      if (planets.succeeded()) {
                        try {
                          UpstreamHttp.Reply reply = planets.result();
                          add(
                              set,
                              r,
                              reply,
                              parseItems(
                                  reply,
                                  Fields.list(reply, "planets", "items"),
                                  SpaceAdapter::planet),
                              "dao");
                          answered++;
                        } catch (UpstreamException e) {
                          errors.add(e);
                        }
                      } else {
                        errors.add(planets.cause());
                      }
                      if (nodes.succeeded()) {
                        try {
                          UpstreamHttp.Reply reply = nodes.result();
                          add(
                              set,
                              r,
                              reply,
                              parseItems(
                                  reply, Fields.list(reply, "nodes", "items"), SpaceAdapter::node),
                              "node");
                          answered++;
                        } catch (UpstreamException e) {
                          errors.add(e);
                        }
                      } else {
                        errors.add(nodes.cause());
                      }
                      if (answered == 0) {
                        return Future.failedFuture(firstError(errors, PLANETS + ", " + NODES));
                      }
                      errors.forEach(e -> r.problems.add(asUpstream(e).getMessage()));
                      return Future.succeededFuture(set);
                    }));
  }

  private static void add(
      PatchSet set, Report r, UpstreamHttp.Reply reply, Parsed parsed, String type) {
    set.addAll(parsed.patches());
    if (parsed.allValid()) {
      set.complete(type);
    } else {
      skipped(r, reply);
    }
  }

  /** One planet: {@code {dao_id, name, health, treasury, satellites[{node_id}], …}}. */
  static PatchSet.Patch planet(JsonObject o) {
    String raw = Fields.str(o, "dao_id");
    if (raw == null) {
      raw = Fields.str(o, "id");
    }
    if (raw == null) {
      return null;
    }
    PatchSet.Patch p = new PatchSet.Patch("dao", EntityIds.canonical("dao", raw));
    String type = Fields.str(o, "type");
    p.field("name", Fields.str(o, "name"))
        .field(
            "type",
            type != null && List.of("dao", "platform", "other").contains(type) ? type : "dao")
        .field("status", planetStatus(Fields.str(o, "health")))
        .field("treasury_value", Fields.num(o, "treasury"));
    JsonArray satellites = Fields.arr(o, "satellites");
    if (satellites != null) {
      JsonArray orbits = new JsonArray();
      for (Object s : satellites) {
        String node =
            s instanceof JsonObject so
                ? Fields.str(so, "node_id")
                : s instanceof String str ? str : null;
        if (node != null) {
          orbits.add(EntityIds.canonical("node", node));
        }
      }
      p.field("orbits", orbits);
    }
    p.extra("health", Fields.str(o, "health"))
        .extra("activity", Fields.num(o, "activity"))
        .extra("governance_temperature", Fields.num(o, "governance_temperature"))
        .extra("anomaly_score", Fields.num(o, "anomaly_score"))
        .extra("node_count", Fields.integer(o, "node_count"))
        .extra("position", Fields.obj(o, "position"));
    return p;
  }

  /** One node: {@code {node_id, name, microdao, gpu{}, cpu{}, memory{}, network{}, status}}. */
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
        .field("microdao_id", Fields.str(o, "microdao"));
    JsonObject gpu = Fields.obj(o, "gpu");
    JsonObject cpu = Fields.obj(o, "cpu");
    JsonObject memory = Fields.obj(o, "memory");
    JsonObject network = Fields.obj(o, "network");
    JsonObject metrics = new JsonObject();
    Fields.put(metrics, "cpu", Fields.num(cpu, "load"));
    Fields.put(metrics, "gpu", Fields.num(gpu, "load"));
    Double used = Fields.num(memory, "used");
    Double total = Fields.num(memory, "total");
    if (used != null && total != null && total > 0) {
      metrics.put("ram", Math.round(used / total * 10000.0) / 10000.0);
    }
    Double gt = Fields.num(gpu, "temperature");
    Double ct = Fields.num(cpu, "temperature");
    if (gt != null || ct != null) {
      metrics.put("temperature", Math.max(gt == null ? ct : gt, ct == null ? gt : ct));
    }
    Fields.put(metrics, "net_in", Fields.num(network, "bandwidth_in"));
    Fields.put(metrics, "net_out", Fields.num(network, "bandwidth_out"));
    if (!metrics.isEmpty()) {
      p.field("metrics", metrics);
    }
    p.extra("agents", Fields.integer(o, "agents"))
        .extra("latency_ms", Fields.num(network, "latency"))
        .extra("packet_loss", Fields.num(network, "packet_loss"))
        .extra("vram_used", Fields.num(gpu, "vram_used"))
        .extra("vram_total", Fields.num(gpu, "vram_total"));
    return p;
  }
}
