package org.daarion.livingmap.stream.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.MissedEvents;
import org.daarion.livingmap.stream.StreamEndpoint;
import org.daarion.livingmap.stream.StreamHub;
import org.daarion.livingmap.stream.StreamStats;

/**
 * The Living Map side of the fan-out benchmark, run as its own JVM so that its CPU and RSS can be
 * measured apart from the clients: the real state owner, snapshot service, hub and endpoint, plus
 * {@code POST /bench/publish?rate=&seconds=&nodes=} which publishes {@code node.metrics.*} events
 * with a {@code pub_us} timestamp into the state owner (as the NATS intake would), and {@code GET
 * /bench/stats}. Args: port.
 */
public final class StreamBenchServer {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx();
    ExecutorService workers = Executors.newFixedThreadPool(2);
    StateOwner owner = new StateOwner(new LiveState("bench", 0), 100_000, Clock.systemUTC());
    SnapshotService snapshots =
        new SnapshotService(owner, workers, () -> new JsonObject().put("version", "bench"));
    StreamStats stats = new StreamStats();
    StreamHub hub =
        new StreamHub(
            owner, snapshots, workers, MissedEvents.NONE, StreamHub.Options.defaults(), stats);
    owner.addSink(hub);
    owner.start();
    StreamEndpoint.Settings settings =
        new StreamEndpoint.Settings(
            Duration.ofSeconds(30),
            Duration.ofSeconds(60),
            4096,
            20_000,
            Duration.ZERO,
            64 * 1024,
            20,
            200,
            Duration.ofSeconds(10),
            3,
            Duration.ofMinutes(1),
            Duration.ofSeconds(10));
    StreamEndpoint endpoint = new StreamEndpoint(vertx, settings, hub, null, Clock.systemUTC());
    AtomicBoolean publishing = new AtomicBoolean();
    Router router = Router.router(vertx);
    router.get("/living-map/stream").handler(endpoint::handle);
    router
        .post("/bench/publish")
        .handler(
            ctx -> {
              double rate = Double.parseDouble(ctx.request().getParam("rate"));
              double seconds = Double.parseDouble(ctx.request().getParam("seconds"));
              int nodes = Integer.parseInt(ctx.request().getParam("nodes", "100"));
              if (!publishing.compareAndSet(false, true)) {
                ctx.response().setStatusCode(409).end();
                return;
              }
              Thread t =
                  new Thread(
                      () -> {
                        try {
                          publish(owner, rate, seconds, nodes);
                        } finally {
                          publishing.set(false);
                        }
                      },
                      "bench-publisher");
              t.start();
              ctx.response().end("started");
            });
    router
        .get("/bench/stats")
        .handler(
            ctx ->
                ctx.json(
                    new JsonObject()
                        .put("connections", stats.connections())
                        .put("frames_sent", stats.framesSent())
                        .put("events_published", stats.eventsPublished())
                        .put("overflows", stats.overflows())
                        .put("resyncs", stats.resyncs())
                        .put("max_queue_depth", stats.maxQueueDepth())
                        .put("slow_consumer_closes", stats.closes(4001))
                        .put("publishing", publishing.get())));
    // One server instance per event loop: Vert.x spreads connections across instances that listen
    // on the same port; a single server created outside a verticle serves every socket on one loop.
    int instances =
        Integer.getInteger("bench.instances", Runtime.getRuntime().availableProcessors());
    vertx
        .deployVerticle(
            () ->
                new VerticleBase() {
                  @Override
                  public Future<?> start() {
                    return vertx
                        .createHttpServer(
                            StreamEndpoint.serverOptions(new HttpServerOptions().setPort(port)))
                        .requestHandler(router)
                        .listen();
                  }
                },
            new DeploymentOptions().setInstances(instances))
        .toCompletionStage()
        .toCompletableFuture()
        .get();
    System.out.println("READY " + port);
    System.out.flush();
  }

  /** Publishes {@code rate} events/s for {@code seconds}, paced per millisecond. */
  static void publish(StateOwner owner, double rate, double seconds, int nodes) {
    long start = System.nanoTime();
    long total = (long) (rate * seconds);
    long sent = 0;
    while (sent < total) {
      long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * rate) + 1);
      while (sent < due) {
        int n = (int) (sent % nodes);
        Instant now = Instant.now();
        long pubUs = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        JsonObject p =
            new JsonObject()
                .put("node_id", "node:n" + n)
                .put("cpu", (sent % 100) / 100.0)
                .put("pub_us", pubUs);
        try {
          owner.submit(Event.incoming("node.metrics.n" + n, p, now, null, null));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        sent++;
      }
      LockSupport.parkNanos(1_000_000);
    }
  }
}
