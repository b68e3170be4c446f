package org.daarion.livingmap.stream;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.Snapshot;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;

/**
 * The real pipeline (state owner, snapshot service, hub, endpoint) behind a real Vert.x HTTP server
 * on a free port. Events go in through {@link StateOwner#submit}, as the intake sends them.
 */
final class StreamTestServer implements AutoCloseable {
  final Vertx vertx = Vertx.vertx();
  final ExecutorService workers = Executors.newFixedThreadPool(2);
  final StateOwner owner;
  final SnapshotService snapshots;
  final StreamHub hub;
  final StreamEndpoint endpoint;
  final HttpServer server;
  final int port;

  StreamTestServer(
      StreamEndpoint.Settings settings, StreamHub.Options hubOptions, MissedEvents missed)
      throws Exception {
    this("e1", 0, settings, hubOptions, missed);
  }

  StreamTestServer(
      String epoch,
      long seq,
      StreamEndpoint.Settings settings,
      StreamHub.Options hubOptions,
      MissedEvents missed)
      throws Exception {
    owner = new StateOwner(new LiveState(epoch, seq), 100_000, Clock.systemUTC());
    snapshots = new SnapshotService(owner, workers, () -> new JsonObject().put("version", "test"));
    hub = new StreamHub(owner, snapshots, workers, missed, hubOptions, new StreamStats());
    owner.addSink(hub);
    owner.start();
    endpoint = new StreamEndpoint(vertx, settings, hub, null, Clock.systemUTC());
    Router router = Router.router(vertx);
    router.get("/living-map/stream").handler(endpoint::handle);
    server =
        vertx
            .createHttpServer(StreamEndpoint.serverOptions(new HttpServerOptions().setPort(0)))
            .requestHandler(router)
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    port = server.actualPort();
  }

  static StreamEndpoint.Settings settings() {
    return new StreamEndpoint.Settings(
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        4096,
        100,
        Duration.ofMillis(100),
        64 * 1024,
        20,
        200,
        Duration.ofSeconds(10),
        3,
        Duration.ofMinutes(1),
        Duration.ofSeconds(3));
  }

  static StreamTestServer start() throws Exception {
    return new StreamTestServer(settings(), StreamHub.Options.defaults(), MissedEvents.NONE);
  }

  void publish(String subject, JsonObject payload) {
    try {
      owner.submit(Event.incoming(subject, payload, Clock.systemUTC().instant(), null, null));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  void nodeMetrics(int node, double cpu) {
    publish(
        "node.metrics.n" + node,
        new JsonObject()
            .put("node_id", "node:n" + node)
            .put("cpu", cpu)
            .put("gpu", cpu / 2)
            .put("ram", 0.5));
  }

  void agentStatus(String agent, String status) {
    publish(
        "agent.event.status",
        new JsonObject().put("agent_id", "agent:" + agent).put("status", status));
  }

  /** Waits until every submitted event reached the sinks; returns the position. */
  long settle() throws Exception {
    return owner.read(a -> a.state().seq()).get(10, TimeUnit.SECONDS);
  }

  Snapshot snapshot() throws Exception {
    return snapshots.current().get(10, TimeUnit.SECONDS);
  }

  LivingMapStreamClient client(LivingMapStreamClient.Options o) {
    return new LivingMapStreamClient(vertx, o.host("localhost").port(port));
  }

  LivingMapStreamClient connected(LivingMapStreamClient.Options o) throws Exception {
    LivingMapStreamClient c = client(o);
    c.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return c;
  }

  @Override
  public void close() throws Exception {
    endpoint.closeAll();
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    owner.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    workers.shutdownNow();
  }
}
