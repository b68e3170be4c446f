package org.daarion.livingmap.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.Entity;
import org.daarion.livingmap.state.Relations;
import org.daarion.livingmap.state.StateOwner;

/**
 * Entity detail beyond the live fields: relations (from a cut, built on {@code workers}), the last
 * 20 events (history), and the owning service's own record (the poller caches it briefly). No part
 * can fail the request: a part that fails says so inside the JSON ({@code <part>_error}).
 */
public final class EntityDetail implements EntityRoutes.DetailEnricher {
  private static final int RECENT_EVENTS = 20;

  private final StateOwner owner;
  private final Executor workers;
  private final HistoryStore history;
  private final UpstreamPoller poller;

  /** {@code poller} may be null: the detail then has no upstream part. */
  public EntityDetail(
      StateOwner owner, Executor workers, HistoryStore history, UpstreamPoller poller) {
    this.owner = owner;
    this.workers = workers;
    this.history = history;
    this.poller = poller;
  }

  @Override
  public CompletableFuture<JsonObject> enrich(Entity entity, JsonObject detail) {
    CompletableFuture<Object> relations =
        owner
            .cut()
            .thenApplyAsync(cut -> (Object) Relations.relationsOf(cut, entity.id()), workers);
    CompletableFuture<Object> events =
        history.recentForEntity(entity.id(), RECENT_EVENTS).thenApply(list -> (Object) list);
    CompletableFuture<Object> upstream =
        poller == null
            ? CompletableFuture.completedFuture(null)
            : poller
                .upstreamDetail(entity.type(), entity.id(), entity.data(), entity.extra())
                .toCompletionStage()
                .toCompletableFuture()
                .thenApply(j -> j);
    return CompletableFuture.allOf(
            relations.exceptionally(e -> null),
            events.exceptionally(e -> null),
            upstream.exceptionally(e -> null))
        .thenApply(
            v -> {
              part(detail, "relations", relations, new JsonArray());
              part(detail, "recent_events", events, new JsonArray());
              part(detail, "upstream", upstream, null);
              return detail;
            });
  }

  /** Puts a part's value, or its empty value and an {@code <part>_error} when it failed. */
  private static void part(
      JsonObject detail, String name, CompletableFuture<Object> f, Object empty) {
    try {
      detail.put(name, f.join());
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      detail.put(name, empty).put(name + "_error", String.valueOf(cause.getMessage()));
    }
  }
}
