package org.daarion.livingmap.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.alert.AlertService;
import org.daarion.livingmap.api.http.BadInput;
import org.daarion.livingmap.api.security.Security;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.simulator.Simulator;
import org.daarion.livingmap.source.bus.InProcessBus;
import org.daarion.livingmap.source.upstream.SnapshotMeta;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.state.StoredSnapshots;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds the parts with their constructors, in the order data flows, and
 * stops them in reverse. Tests start the whole service through {@link #start}.
 *
 * <p>Start: {@link Storage} (database, history, stored snapshots) → {@link Pipeline} (live state
 * restored from the newest stored snapshot plus what came after it, its owner and sinks, snapshots
 * on a schedule, the intake) → {@link Sources} (NATS, simulator, upstream poller) → {@link Web}
 * (HTTP). What differs in cluster mode is the {@link Topology}, chosen once here. Stop: the reverse
 * ({@link Closer}), so the last events reach PostgreSQL and a final snapshot is stored.
 */
public final class Application implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Application.class);

  private final Config config;
  private final Vertx vertx;
  private final Closer closer;
  private final Pipeline pipeline;
  private final Sources sources;
  private final Web web;
  private final int port;

  private Application(
      Config config,
      Vertx vertx,
      Closer closer,
      Pipeline pipeline,
      Sources sources,
      Web web,
      int port) {
    this.config = config;
    this.vertx = vertx;
    this.closer = closer;
    this.pipeline = pipeline;
    this.sources = sources;
    this.web = web;
    this.port = port;
  }

  /** Starts the service; completes when it listens on its port. */
  public static Future<Application> start(Config config) {
    Vertx vertx = Vertx.vertx();
    Closer closer = new Closer();
    Clock clock = Clock.systemUTC();
    // The poller is built last (it may poll the simulator), but snapshots and alerts name it.
    AtomicReference<UpstreamPoller> poller = new AtomicReference<>();
    return vertx
        // On a worker: storage and the restore block on the database.
        .executeBlocking(() -> pipeline(config, vertx, clock, closer, poller), false)
        .compose(
            pipeline ->
                Sources.start(config, vertx, closer, pipeline, poller)
                    .compose(
                        sources -> {
                          Web web = new Web(config, vertx, closer, pipeline, sources);
                          return web.api
                              .start()
                              .map(
                                  port ->
                                      new Application(
                                          config, vertx, closer, pipeline, sources, web, port));
                        }))
        .onSuccess(
            app ->
                log.info(
                    "living-map listening on http://{}:{} (version {})",
                    config.host,
                    app.port,
                    Version.get()))
        .onFailure(
            err -> {
              closer.close();
              vertx.close().await();
            });
  }

  /** Storage, the topology (one instance or a replica) and the pipeline on it. */
  private static Pipeline pipeline(
      Config config,
      Vertx vertx,
      Clock clock,
      Closer closer,
      AtomicReference<UpstreamPoller> poller) {
    Database db = closer.add(Database.start(config));
    Topology topology =
        config.clustered()
            ? new ClusterTopology(config, clock, db, closer)
            : new SingleTopology(config, clock);
    SnapshotMeta meta = new SnapshotMeta(poller::get, !topology.clustered(), Version.get());
    StoredSnapshots format = new StoredSnapshots(meta);
    Storage storage = new Storage(config, vertx, clock, closer, db, topology, format::replay);
    return new Pipeline(config, vertx, clock, closer, storage, topology, meta, format, poller);
  }

  /** Stores a snapshot now (admin operation and tests). */
  public CompletableFuture<?> storeSnapshotNow() {
    return pipeline.snapshotScheduler.saveNow();
  }

  /** A fresh router with every route the service serves (for the OpenAPI coverage test). */
  public Router apiRouter() {
    return web.api.router();
  }

  /** The built-in simulator, or null when it does not run. */
  public Simulator simulator() {
    return sources.simulator;
  }

  public int port() {
    return port;
  }

  public Vertx vertx() {
    return vertx;
  }

  public StateOwner owner() {
    return pipeline.owner;
  }

  public AlertService alerts() {
    return pipeline.alerts;
  }

  public EventIntake intake() {
    return pipeline.intake;
  }

  public InProcessBus bus() {
    return pipeline.bus;
  }

  public HistoryStore history() {
    return pipeline.storage.history;
  }

  public SnapshotService snapshots() {
    return pipeline.snapshots;
  }

  public Config config() {
    return config;
  }

  /** Requests refused as crafted or malformed, by kind. */
  public BadInput apiBadInput() {
    return web.api.badInput();
  }

  public Metrics metrics() {
    return pipeline.metrics;
  }

  public Security security() {
    return pipeline.security;
  }

  /** Stops everything in reverse order of start: the last events reach history first. */
  @Override
  public void close() {
    closer.close();
    vertx.close().await();
  }
}
