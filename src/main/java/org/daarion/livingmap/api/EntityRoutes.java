package org.daarion.livingmap.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import org.daarion.livingmap.api.http.Params;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.state.Entity;
import org.daarion.livingmap.state.LiveState;

/**
 * {@code GET /living-map/entities}, {@code /entities/facets} and {@code /entities/{id}}. Reads the
 * live state's immutable entities directly; no upstream call.
 */
public final class EntityRoutes implements RouteGroup {
  /**
   * Adds what other components know about an entity to its detail: relations, recent events,
   * upstream data. Must never fail the request: a part that fails is reported inside the JSON.
   */
  public interface DetailEnricher {
    CompletableFuture<JsonObject> enrich(Entity entity, JsonObject detail);
  }

  private final LiveState state;
  private final DetailEnricher enricher;
  private final LayerVisibility visibility;

  public EntityRoutes(LiveState state, DetailEnricher enricher) {
    this(state, enricher, LayerVisibility.ALL_VISIBLE);
  }

  public EntityRoutes(LiveState state, DetailEnricher enricher, LayerVisibility visibility) {
    this.state = state;
    this.enricher = enricher;
    this.visibility = visibility;
  }

  private java.util.Collection<Entity> visibleEntities(RoutingContext ctx) {
    java.util.Set<String> hidden = visibility.hiddenLayers(ctx);
    if (hidden.isEmpty()) {
      return state.entities();
    }
    return state.entities().stream().filter(e -> !hidden.contains(e.layer())).toList();
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/entities").handler(this::list);
    router.get("/living-map/entities/facets").handler(this::facets);
    router.get("/living-map/entities/:id").handler(this::detail);
  }

  private void list(RoutingContext ctx) {
    EntityQuery q = new EntityQuery(new Params(ctx.queryParams()));
    Responses.json(ctx, 200, q.run(visibleEntities(ctx)));
  }

  private void facets(RoutingContext ctx) {
    Responses.json(ctx, 200, EntityQuery.facets(visibleEntities(ctx)));
  }

  private void detail(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Entity e = state.get(state.resolve(id));
    if (e == null || visibility.hiddenLayers(ctx).contains(e.layer())) {
      Responses.notFound(ctx, "no entity with id '" + id + "'");
      return;
    }
    JsonObject detail =
        new JsonObject()
            .put("id", e.id())
            .put("type", e.type())
            .put("layer", e.layer())
            .put("label", e.label())
            .put("status", e.status())
            .put("data", e.data())
            .put("extra", e.extra())
            .put("sources", new JsonArray(e.sources().stream().sorted().toList()))
            .put("seq", e.seq())
            .put("updated_at", e.updatedAt() == null ? null : e.updatedAt().toString());
    if (enricher == null) {
      Responses.json(ctx, 200, detail);
      return;
    }
    Responses.whenDone(
        ctx,
        enricher.enrich(e, detail),
        (enriched, err) -> Responses.json(ctx, 200, err == null ? enriched : detail));
  }
}
