package org.daarion.livingmap.app;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.alert.AlertRoutes;
import org.daarion.livingmap.api.AdminRoutes;
import org.daarion.livingmap.api.DiffRoutes;
import org.daarion.livingmap.api.EntityDetail;
import org.daarion.livingmap.api.EntityRoutes;
import org.daarion.livingmap.api.HealthRoutes;
import org.daarion.livingmap.api.HistoryRoutes;
import org.daarion.livingmap.api.LayerVisibility;
import org.daarion.livingmap.api.SnapshotRoutes;
import org.daarion.livingmap.api.SourceRoutes;
import org.daarion.livingmap.api.StreamRoutes;
import org.daarion.livingmap.api.http.ApiServer;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.api.security.Principal;
import org.daarion.livingmap.api.security.Security;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.history.TimeTravel;
import org.daarion.livingmap.state.PreparedSnapshot;
import org.daarion.livingmap.stream.StreamEndpoint;

/** The web part: every route group the service serves, behind one HTTP server. */
final class Web {
  final StreamEndpoint stream;
  final ApiServer api;

  Web(Config config, Vertx vertx, Closer closer, Pipeline pipeline, Sources sources) {
    Security security = pipeline.security;
    TimeTravel timeTravel = pipeline.storage.timeTravel;
    List<RouteGroup> groups = new ArrayList<>();
    groups.add(new HealthRoutes(Version.get(), pipeline.checks, pipeline.clock));
    // Payloads may name a hidden entity by an upstream key (a UUID): the live alias index says.
    security.layers().resolveAliasesWith(pipeline.state::resolve);
    groups.add(security.snapshotGuard(pipeline.snapshots::prepared));
    groups.add(
        new SnapshotRoutes(
            pipeline.snapshots,
            at -> timeTravel.stateAt(at).thenApply(r -> r.found() ? r.state() : null)));
    LayerVisibility visibility = ctx -> security.layers().hidden(Principal.of(ctx));
    groups.add(
        new DiffRoutes(
            timeTravel,
            () -> pipeline.owner.state().epoch(),
            visibility,
            () -> pipeline.snapshots.fresh().thenApply(PreparedSnapshot::snapshot),
            pipeline.snapshotWorkers));
    groups.add(
        new EntityRoutes(
            pipeline.state,
            new EntityDetail(
                pipeline.owner, pipeline.snapshotWorkers, pipeline.storage.history, sources.poller),
            visibility));
    groups.add(
        new HistoryRoutes(
            pipeline.storage.history, pipeline.storage.snapshotStore, pipeline.clock, visibility));
    groups.add(new SourceRoutes(sources.poller, pipeline.owner, visibility));
    groups.add(new AlertRoutes(pipeline.alerts, ctx -> Principal.of(ctx).hasRole(Principal.ADMIN)));
    stream = new StreamEndpoint(vertx, config, pipeline.hub);
    groups.add(new StreamRoutes(vertx, security, pipeline.metrics, stream));
    groups.add(
        new AdminRoutes(
            () -> sources.poller.pollNow().toCompletionStage().toCompletableFuture(),
            () -> pipeline.snapshotScheduler.saveNow(),
            pipeline.postedEvents));
    api = new ApiServer(vertx, config, Version.get(), groups, security, pipeline.metrics);
    // Closed in reverse: open sockets first, then the server.
    closer.add(() -> api.stop().await());
    closer.add(stream::closeAll);
  }
}
