package org.daarion.livingmap.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.daarion.livingmap.api.http.BadParameter;
import org.daarion.livingmap.api.http.Params;
import org.daarion.livingmap.api.http.PreparedResponses;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.history.TimeTravel.Busy;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.visibility.Visibility;

/**
 * {@code GET /living-map/snapshot}: the live state as prepared bytes ({@link
 * SnapshotService#prepared}: serialised and gzipped once per prepared version, served with an ETag
 * and 304 to conditional requests); with {@code ?at=ISO}, the state at that instant (time travel).
 */
public final class SnapshotRoutes implements RouteGroup {
  /** Answers the state at a past instant; completes with null when nothing is stored before it. */
  public interface TimeTravel {
    CompletableFuture<JsonObject> at(Instant at);
  }

  private final SnapshotService snapshots;
  private final TimeTravel timeTravel;

  public SnapshotRoutes(SnapshotService snapshots, TimeTravel timeTravel) {
    this.snapshots = snapshots;
    this.timeTravel = timeTravel;
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/snapshot").handler(this::snapshot);
  }

  /**
   * The page's stream worker asks for the snapshot next. After a quiet spell (no reader for {@code
   * IDLE_AFTER}) that request waited for one preparation, 0.3-1.6 s at 100x DAARION (measured
   * 2026-12-07); started now, it runs while the page and its scripts load.
   */
  @Override
  public void pageServed() {
    snapshots.prepared();
  }

  private void snapshot(RoutingContext ctx) {
    Params p = new Params(ctx.queryParams());
    Instant at = p.instant("at");
    if (at != null) {
      if (ctx.queryParams().contains(PreparedResponses.WIRE)) {
        throw new BadParameter(
            PreparedResponses.WIRE, "wire=gzip serves the live snapshot; time travel answers JSON");
      }
      travel(ctx, at);
      return;
    }
    Responses.whenDone(
        ctx,
        snapshots.prepared(),
        (s, err) -> {
          if (err != null) {
            Responses.unavailable(ctx, "snapshot unavailable: " + Responses.safeReason(err));
            return;
          }
          PreparedResponses.send(ctx, s.full());
        });
  }

  private void travel(RoutingContext ctx, Instant at) {
    if (timeTravel == null) {
      Responses.unavailable(ctx, "time travel needs the history store");
      return;
    }
    Responses.whenDone(
        ctx,
        timeTravel.at(at),
        (json, err) -> {
          if (err != null) {
            if ((err.getCause() != null ? err.getCause() : err) instanceof Busy busy) {
              Responses.busy(ctx, busy.getMessage(), Busy.RETRY_AFTER_SECONDS);
              return;
            }
            Responses.unavailable(ctx, "time travel failed: " + Responses.safeReason(err));
          } else if (json == null) {
            Responses.notFound(ctx, "no stored state at or before " + at);
          } else {
            // Time travel is as visible as now: the past state reduced for the caller's class.
            Visibility v = Visibility.of(ctx);
            Responses.prepared(ctx, 200, v.snapshot(json).toBuffer(), v);
          }
        });
  }
}
