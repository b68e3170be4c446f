package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.MissedEvents;
import org.daarion.livingmap.stream.StreamEndpoint;
import org.daarion.livingmap.stream.StreamHub;
import org.daarion.livingmap.stream.StreamStats;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a slow PostgreSQL does to the stream's sockets, as {@code EventSink} and
 * docs/ARCHITECTURE.md state it: the history writer is a sink that blocks the state owner while its
 * queue is full, and the stream hub is a sink after it. So while the history table is locked,
 * sockets stay open and get no new events; once the lock goes, they get every event held back, in
 * order, with no gap and no duplicate. The pipeline is the real one (state owner, history writer on
 * a real PostgreSQL, hub, endpoint, a WebSocket client), wired in the order {@code Application}
 * wires it.
 */
class SlowHistoryStallsStreamTest {
  private static final int WRITER_QUEUE = 20;
  private static final int BEFORE = 5;
  private static final int HELD = 200;

  private Database db;
  private HistoryWriter writer;
  private StateOwner owner;
  private Vertx vertx;
  private ExecutorService workers;
  private StreamEndpoint endpoint;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    db = Database.start(TestDatabase.create().config());
    // A small queue so that a few hundred events fill it.
    writer = new HistoryWriter(db.dataSource(), db, 10, Duration.ofMillis(1), WRITER_QUEUE);
    owner = new StateOwner(new LiveState("e1", 0), 100_000, Clock.systemUTC());
    workers = Executors.newFixedThreadPool(2);
    SnapshotService snapshots =
        new SnapshotService(owner, workers, () -> new JsonObject().put("version", "test"));
    StreamHub hub =
        new StreamHub(
            owner,
            snapshots,
            workers,
            MissedEvents.NONE,
            StreamHub.Options.defaults(),
            new StreamStats());
    // The order of Application: the history writer first, the hub after it.
    owner.addSink(writer);
    owner.addSink(hub);
    owner.start();
    vertx = Vertx.vertx();
    endpoint =
        new StreamEndpoint(
            vertx,
            new StreamEndpoint.Settings(
                Duration.ofSeconds(1),
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
                Duration.ofSeconds(3)),
            hub,
            null,
            Clock.systemUTC());
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
  }

  @AfterEach
  void stop() throws Exception {
    endpoint.closeAll();
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    owner.close();
    writer.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    workers.shutdownNow();
    db.close();
  }

  private void nodeMetrics(int i) throws InterruptedException {
    owner.submit(
        Event.incoming(
            "node.metrics.n" + (i % 5 + 1),
            new JsonObject()
                .put("node_id", "node:n" + (i % 5 + 1))
                .put("cpu", (i % 100) / 100.0)
                .put("ram", 0.5),
            Clock.systemUTC().instant(),
            null,
            null));
  }

  @Test
  void aLockedHistoryTableStallsSocketsWithoutClosingThemAndTheyResumeWithNoGap() throws Exception {
    LivingMapStreamClient client =
        new LivingMapStreamClient(
            vertx,
            new LivingMapStreamClient.Options()
                .host("localhost")
                .port(server.actualPort())
                .reconnect(false, 0));
    client.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      for (int i = 0; i < BEFORE; i++) {
        nodeMetrics(i);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> client.lastSeq() == BEFORE);

      try (Connection lock = db.dataSource().getConnection()) {
        lock.setAutoCommit(false);
        try (Statement st = lock.createStatement()) {
          // A PostgreSQL that does not take writes: the writer's COPY waits for the lock.
          st.execute("LOCK TABLE living_map_history IN ACCESS EXCLUSIVE MODE");
        }
        for (int i = BEFORE; i < BEFORE + HELD; i++) {
          nodeMetrics(i);
        }
        // The writer's queue is full, so the owner waits in its onEvents: the hub after it gets
        // nothing more.
        await().atMost(Duration.ofSeconds(20)).until(() -> writer.queueDepth() == WRITER_QUEUE);
        long stalledAt = client.lastSeq();
        assertThat(stalledAt).isLessThan(BEFORE + HELD);
        // Several ping intervals (1 s): the socket stays open and still gets no event.
        Thread.sleep(3_000);
        assertThat(client.lastSeq()).as("no event while history is locked").isEqualTo(stalledAt);
        assertThat(client.socketOpen()).as("the socket stays open").isTrue();
        assertThat(client.lastCloseCode()).isNull();
        assertThat(writer.queueDepth()).isEqualTo(WRITER_QUEUE);
        lock.rollback(); // PostgreSQL takes writes again
      }

      await().atMost(Duration.ofSeconds(30)).until(() -> client.lastSeq() == BEFORE + HELD);
      assertThat(client.gaps()).isZero();
      assertThat(client.duplicates()).isZero();
      assertThat(client.snapshotReasons()).containsExactly((String) null);
      assertThat(client.socketOpen()).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> writer.rowsWritten() == BEFORE + HELD);
    } finally {
      client.close();
    }
  }
}
