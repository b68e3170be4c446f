package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connects while versions are coalesced: the first frame is the prepared snapshot (seq N, shared by
 * every connect of that version), and the events after N follow with no gap, for plain sockets and
 * permessage-deflate ones alike (those get the snapshot precompressed once, then their own
 * compressed events).
 */
class PreparedSnapshotStreamTest {
  private final Vertx vertx = Vertx.vertx();
  private final ExecutorService workers = Executors.newFixedThreadPool(2);
  private StateOwner owner;
  private SnapshotService snapshots;
  private StreamEndpoint endpoint;
  private HttpServer server;
  private final AtomicBoolean publishing = new AtomicBoolean();
  private Thread publisher;

  @BeforeEach
  void start() throws Exception {
    owner = new StateOwner(new LiveState("e1", 0), 100_000, Clock.systemUTC());
    snapshots =
        new SnapshotService(
            owner, workers, () -> new JsonObject().put("version", "t"), Duration.ofMillis(300));
    StreamHub hub =
        new StreamHub(
            owner,
            snapshots,
            workers,
            MissedEvents.NONE,
            StreamHub.Options.defaults(),
            new StreamStats());
    owner.addSink(hub);
    owner.start();
    endpoint = new StreamEndpoint(vertx, StreamTestServer.settings(), hub, null, Clock.systemUTC());
    Router router = Router.router(vertx);
    router.get("/living-map/stream").handler(endpoint::handle);
    server =
        vertx
            .createHttpServer(
                StreamEndpoint.serverOptions(new HttpServerOptions().setPort(0), true))
            .requestHandler(router)
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    for (int n = 1; n <= 200; n++) {
      metrics(n, 0.5);
    }
    snapshots.prepared().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    publishing.set(false);
    if (publisher != null) {
      publisher.join(5000);
    }
    endpoint.closeAll();
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    owner.close();
    snapshots.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    workers.shutdownNow();
  }

  private void metrics(int node, double cpu) {
    try {
      owner.submit(
          Event.incoming(
              "node.metrics.n" + node,
              new JsonObject().put("node_id", "node:n" + node).put("cpu", cpu).put("ram", 0.5),
              Clock.systemUTC().instant(),
              null,
              null));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Events keep coming (up to a thousand a second) until the test ends. */
  private void keepPublishing() {
    publishing.set(true);
    publisher =
        new Thread(
            () -> {
              int i = 0;
              while (publishing.get()) {
                metrics(i % 200 + 1, (i % 100) / 100.0);
                i++;
                if (i % 10 == 0) {
                  java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
                }
              }
            });
    publisher.start();
  }

  @Test
  void connectsDuringABurstShareThePreparedSnapshotAndLoseNothing() throws Exception {
    keepPublishing();
    long preparedBefore = snapshots.preparations();
    long started = System.nanoTime();
    List<LivingMapStreamClient> clients = new ArrayList<>();
    List<List<JsonObject>> frames = new ArrayList<>();
    List<CompletableFuture<Void>> connects = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      List<JsonObject> mine = new CopyOnWriteArrayList<>();
      frames.add(mine);
      LivingMapStreamClient c =
          new LivingMapStreamClient(
              vertx,
              new LivingMapStreamClient.Options()
                  .host("localhost")
                  .port(server.actualPort())
                  .compression(i % 4 == 0)
                  .keepSeqs(true)
                  .onFrame(f -> mine.add(f)));
      clients.add(c);
      connects.add(c.connect().toCompletionStage().toCompletableFuture());
    }
    CompletableFuture.allOf(connects.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    long elapsedMs = (System.nanoTime() - started) / 1_000_000;
    publishing.set(false);
    publisher.join(5000);
    long end = owner.read(a -> a.state().seq()).get(10, TimeUnit.SECONDS);
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> clients.stream().allMatch(c -> c.lastSeq() == end));
      for (int i = 0; i < clients.size(); i++) {
        LivingMapStreamClient c = clients.get(i);
        JsonObject first = frames.get(i).get(0);
        assertThat(first.getString("kind")).isEqualTo("snapshot");
        long n = first.getLong("seq");
        assertThat(first.getJsonObject("data").getLong("seq")).isEqualTo(n);
        // Every event after the snapshot's seq, once, in order, whether compressed or not.
        assertThat(c.seqs())
            .containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(n + 1, end).boxed().toList());
        assertThat(c.gaps()).isZero();
        assertThat(c.duplicates()).isZero();
        assertThat(c.item("node:n7")).isNotNull();
      }
      // Coalesced: at most one preparation per interval (plus the one in flight), never one per
      // connect or per version.
      assertThat(snapshots.preparations() - preparedBefore)
          .isLessThanOrEqualTo(elapsedMs / 300 + 2);
      assertThat(end).isGreaterThan(snapshots.preparations() * 10);
    } finally {
      clients.forEach(LivingMapStreamClient::close);
    }
  }
}
