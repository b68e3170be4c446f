package org.daarion.livingmap.api;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.daarion.livingmap.api.http.Params;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.EntityTypes;
import org.daarion.livingmap.state.Relations;
import org.daarion.livingmap.state.StateOwner;

/**
 * {@code GET /living-map/sources} (each upstream source's state) and {@code GET /living-map/graph}
 * (entities and their relations as nodes and edges, depth-limited).
 */
public final class SourceRoutes implements RouteGroup {
  /** Deeper graphs than this are refused: depth 6 already spans the whole DAARION model. */
  static final int MAX_DEPTH = 6;

  private final UpstreamPoller poller;
  private final StateOwner owner;
  private final LayerVisibility visibility;

  public SourceRoutes(UpstreamPoller poller, StateOwner owner, LayerVisibility visibility) {
    this.poller = poller;
    this.owner = owner;
    this.visibility = visibility;
  }

  /** The graph without nodes on hidden layers and without the edges that touch them. */
  static io.vertx.core.json.JsonObject withoutHidden(
      io.vertx.core.json.JsonObject graph, java.util.Set<String> hidden) {
    if (hidden.isEmpty()) {
      return graph;
    }
    java.util.Set<String> gone = new java.util.HashSet<>();
    io.vertx.core.json.JsonArray nodes = new io.vertx.core.json.JsonArray();
    for (Object o : graph.getJsonArray("nodes")) {
      io.vertx.core.json.JsonObject n = (io.vertx.core.json.JsonObject) o;
      if (hidden.contains(n.getString("layer"))) {
        gone.add(n.getString("id"));
      } else {
        nodes.add(n);
      }
    }
    io.vertx.core.json.JsonArray edges = new io.vertx.core.json.JsonArray();
    for (Object o : graph.getJsonArray("edges")) {
      io.vertx.core.json.JsonObject e = (io.vertx.core.json.JsonObject) o;
      if (!gone.contains(e.getString("source")) && !gone.contains(e.getString("target"))) {
        edges.add(e);
      }
    }
    return graph.copy().put("nodes", nodes).put("edges", edges);
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/sources").handler(this::sources);
    router.get("/living-map/graph").handler(this::graph);
  }

  private void sources(RoutingContext ctx) {
    Responses.json(
        ctx, 200, poller == null ? new io.vertx.core.json.JsonObject() : poller.sourcesJsonNow());
  }

  private void graph(RoutingContext ctx) {
    Params p = new Params(ctx.queryParams());
    String root = p.string("root");
    int depth = p.intIn("depth", Relations.DEFAULT_DEPTH, 0, MAX_DEPTH);
    String layer = p.oneOf("layer", EntityTypes.LAYERS);
    String type = p.oneOf("type", EntityTypes.TYPES);
    if (root != null && owner.state().get(owner.state().resolve(root)) == null) {
      Responses.notFound(ctx, "no entity with id '" + root + "'");
      return;
    }
    Responses.whenDone(
        ctx,
        owner.cut(),
        (cut, err) -> {
          if (err != null) {
            Responses.unavailable(ctx, "state busy: " + Responses.safeReason(err));
            return;
          }
          io.vertx.core.json.JsonObject graph =
              Relations.graph(cut, root, root == null ? null : depth, layer, type);
          Responses.json(ctx, 200, withoutHidden(graph, visibility.hiddenLayers(ctx)));
        });
  }
}
