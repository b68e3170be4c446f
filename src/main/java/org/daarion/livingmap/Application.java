package org.daarion.livingmap;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.daarion.livingmap.api.ApiServer;
import org.daarion.livingmap.api.EntityRoutes;
import org.daarion.livingmap.api.HealthCheck;
import org.daarion.livingmap.api.HealthRoutes;
import org.daarion.livingmap.api.RouteGroup;
import org.daarion.livingmap.api.SnapshotRoutes;
import org.daarion.livingmap.api.security.Security;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.source.bus.InProcessBus;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every component with its constructor, in the order data flows,
 * starts them, and stops them in reverse. Tests start the whole service through {@link #start}.
 */
public final class Application implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Application.class);

  private final Config config;
  private final Vertx vertx;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private StateOwner owner;
  private EventIntake intake;
  private InProcessBus bus;
  private SnapshotService snapshots;
  private ApiServer api;
  private Metrics metrics;
  private Security security;
  private int port;

  private Application(Config config) {
    this.config = config;
    this.vertx = Vertx.vertx();
  }

  /** Starts the service; completes when it listens on its port. */
  public static Future<Application> start(Config config) {
    Application app = new Application(config);
    return app.vertx
        .executeBlocking(
            () -> {
              app.build();
              return app;
            },
            false)
        .compose(a -> a.api.start())
        .map(
            p -> {
              app.port = p;
              log.info(
                  "living-map listening on http://{}:{} (version {})",
                  config.host,
                  p,
                  Version.get());
              return app;
            })
        .onFailure(err -> app.close());
  }

  /** Builds the components; runs on a worker thread (it may block on the database). */
  private void build() {
    Clock clock = Clock.systemUTC();
    String epoch = UUID.randomUUID().toString().substring(0, 8);
    LiveState state = new LiveState(epoch, 0);
    owner = new StateOwner(state, 65_536, clock);
    closeables.add(owner);
    intake =
        new EventIntake(
            new EventParser(config.maxEventBytes),
            owner,
            r -> log.debug("rejected {}: {}", r.subject(), r.reason()),
            clock);
    bus = new InProcessBus(intake);
    owner.start();

    ExecutorService snapshotWorkers = Executors.newFixedThreadPool(2, daemon("snapshot-build"));
    closeables.add(snapshotWorkers::shutdownNow);
    snapshots = new SnapshotService(owner, snapshotWorkers, this::meta);

    List<HealthCheck> checks = new ArrayList<>();
    checks.add(
        new HealthCheck() {
          @Override
          public String name() {
            return "state";
          }

          @Override
          public JsonObject check() {
            return new JsonObject()
                .put("status", "ok")
                .put("seq", state.seq())
                .put("epoch", state.epoch())
                .put("entities", state.size())
                .put("queue", owner.queueDepth());
          }
        });
    // --- security and metrics (issue 7): one Metrics and one Security for the whole service ---
    metrics = new Metrics();
    closeables.add(metrics);
    metrics.stateQueueDepth(owner::queueDepth);
    metrics.stateEntities(state::size);
    metrics.stateSeq(state::seq);
    security = Security.create(vertx, config, clock, metrics);
    // --- end security and metrics ---

    List<RouteGroup> groups = new ArrayList<>();
    groups.add(new HealthRoutes(Version.get(), checks, clock));
    groups.add(security.snapshotGuard(snapshots::current)); // before SnapshotRoutes
    groups.add(new SnapshotRoutes(snapshots, null));
    groups.add(new EntityRoutes(state, null));
    api = new ApiServer(vertx, config, Version.get(), groups, security, metrics);
  }

  private JsonObject meta() {
    JsonArray services = new JsonArray();
    for (UpstreamSource s : UpstreamSource.values()) {
      services.add(s.serviceName());
    }
    return new JsonObject().put("source_services", services).put("version", Version.get());
  }

  public int port() {
    return port;
  }

  public Vertx vertx() {
    return vertx;
  }

  public StateOwner owner() {
    return owner;
  }

  public EventIntake intake() {
    return intake;
  }

  public InProcessBus bus() {
    return bus;
  }

  public Config config() {
    return config;
  }

  public Metrics metrics() {
    return metrics;
  }

  public Security security() {
    return security;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops everything in reverse order of start, flushing history first. */
  @Override
  public void close() {
    if (api != null) {
      api.stop().await();
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("error while stopping: {}", e.toString());
      }
    }
    vertx.close().await();
  }
}
