package org.daarion.livingmap.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.daarion.livingmap.api.http.BadParameter;
import org.daarion.livingmap.api.http.Params;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.history.BadParameterException;
import org.daarion.livingmap.history.HistoryQuery;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.SnapshotStore;

/**
 * {@code GET /living-map/history}, {@code /history/stats}, {@code /snapshots} and {@code
 * /rejected}: reads of the PostgreSQL history, run on the database's workers.
 */
public final class HistoryRoutes implements RouteGroup {
  private final HistoryStore history;
  private final SnapshotStore snapshots;
  private final Clock clock;
  private final LayerVisibility visibility;

  public HistoryRoutes(
      HistoryStore history, SnapshotStore snapshots, Clock clock, LayerVisibility visibility) {
    this.history = history;
    this.snapshots = snapshots;
    this.clock = clock;
    this.visibility = visibility;
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/history").handler(this::query);
    router.get("/living-map/history/stats").handler(this::stats);
    router.get("/living-map/snapshots").handler(this::snapshots);
    router.get("/living-map/rejected").handler(this::rejected);
  }

  private void query(RoutingContext ctx) {
    HistoryQuery q;
    try {
      q = HistoryQuery.parse(params(ctx));
    } catch (BadParameterException e) {
      throw new BadParameter(e.parameter(), e.getMessage());
    }
    boolean gzip = Responses.takesPreparedGzip(ctx);
    CompletableFuture<HistoryStore.PageBytes> page =
        history.queryBytes(q.hiding(visibility.hiddenTypes(ctx)), gzip);
    Responses.whenDone(
        ctx,
        page,
        (bytes, err) -> {
          if (err == null) {
            if (bytes.gzipped()) {
              Responses.gzipped(ctx, 200, bytes.bytes());
            } else {
              Responses.bytes(ctx, 200, bytes.bytes());
            }
          } else {
            failed(ctx, err);
          }
        });
  }

  private void stats(RoutingContext ctx) {
    HistoryQuery.Stats s;
    try {
      s = HistoryQuery.Stats.parse(params(ctx), clock.instant());
    } catch (BadParameterException e) {
      throw new BadParameter(e.parameter(), e.getMessage());
    }
    reply(ctx, history.stats(s));
  }

  private void snapshots(RoutingContext ctx) {
    int limit = new Params(ctx.queryParams()).intIn("limit", 100, 1, 1000);
    reply(ctx, snapshots.list(limit));
  }

  private void rejected(RoutingContext ctx) {
    Params p = new Params(ctx.queryParams());
    int limit = p.intIn("limit", 100, 1, 1000);
    int offset = p.intIn("offset", 0, 0, 1_000_000);
    reply(ctx, history.rejected(limit, offset));
  }

  private static Map<String, String> params(RoutingContext ctx) {
    Map<String, String> out = new HashMap<>();
    ctx.queryParams().forEach(e -> out.putIfAbsent(e.getKey(), e.getValue()));
    return out;
  }

  /** Answers with the JSON, or the failure's status (see {@link #failed}). */
  private static void reply(RoutingContext ctx, CompletableFuture<JsonObject> result) {
    Responses.whenDone(
        ctx,
        result,
        (json, err) -> {
          if (err == null) {
            Responses.json(ctx, 200, json);
          } else {
            failed(ctx, err);
          }
        });
  }

  /** 400 for a bad parameter, else 503 when the database is away or its workers are saturated. */
  private static void failed(RoutingContext ctx, Throwable err) {
    Throwable cause = err.getCause() != null ? err.getCause() : err;
    if (cause instanceof BadParameterException bad) {
      Responses.badParameter(ctx, new BadParameter(bad.parameter(), bad.getMessage()));
    } else if (cause instanceof RejectedExecutionException) {
      Responses.busy(ctx, "the history store is busy; try again", 1);
    } else {
      Responses.unavailable(
          ctx, "the history store is unavailable: " + Responses.safeReason(cause));
    }
  }
}
