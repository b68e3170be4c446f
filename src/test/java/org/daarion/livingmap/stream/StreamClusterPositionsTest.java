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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode (issue 8) in the stream: seqs are JetStream stream sequences with holes. Frames say
 * {@code prev_seq}, so a client tells a hole from a gap; the hub does not resynchronise on a hole;
 * a resume across a hole comes from the ring; a resume from a position this replica has not reached
 * yet (the client comes from a replica further along) waits until it has, instead of a resync.
 */
class StreamClusterPositionsTest {
  private static final String EPOCH = "LIVING_MAP-1";

  private final Vertx vertx = Vertx.vertx();
  private final ExecutorService workers = Executors.newFixedThreadPool(2);
  private final List<LivingMapStreamClient> clients = new ArrayList<>();
  private StateOwner owner;
  private StreamHub hub;
  private HttpServer server;
  private int port;

  @BeforeEach
  void start() throws Exception {
    owner = new StateOwner(new LiveState(EPOCH, 0), 10_000, Clock.systemUTC());
    owner.positionsFromStream(e -> false);
    SnapshotService snapshots =
        new SnapshotService(owner, workers, () -> new JsonObject().put("version", "test"));
    hub =
        new StreamHub(
            owner, snapshots, workers, null, StreamHub.Options.defaults(), new StreamStats(), true);
    owner.addSink(hub);
    owner.start();
    StreamEndpoint endpoint =
        new StreamEndpoint(
            vertx, StreamTestServer.settings(), hub, null, java.time.Clock.systemUTC());
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

  @AfterEach
  void stop() {
    clients.forEach(LivingMapStreamClient::close);
    server.close();
    owner.close();
    workers.shutdownNow();
    vertx.close();
  }

  private void publish(long... streamSeqs) throws InterruptedException {
    for (long s : streamSeqs) {
      owner.submit(
          Event.incoming(
              "node.metrics.gpu-" + (s % 3),
              new JsonObject().put("node_id", "gpu-" + (s % 3)).put("cpu", (double) s),
              Instant.parse("2026-01-01T00:00:00Z").plusSeconds(s),
              "js:LIVING_MAP:" + s,
              null));
    }
  }

  private LivingMapStreamClient client(List<JsonObject> frames, String since) {
    LivingMapStreamClient.Options o =
        new LivingMapStreamClient.Options()
            .host("127.0.0.1")
            .port(port)
            .keepSeqs(true)
            .onFrame(frames::add);
    if (since != null) {
      o.param("since_seq", since).param("epoch", EPOCH);
    }
    LivingMapStreamClient c = new LivingMapStreamClient(vertx, o);
    clients.add(c);
    return c;
  }

  @Test
  void holesAreNotGapsAndResumesCrossThemFromTheRing() throws Exception {
    List<JsonObject> frames = Collections.synchronizedList(new ArrayList<>());
    LivingMapStreamClient live = client(frames, null);
    live.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    publish(1, 2, 5, 6, 9, 10, 14);
    publish(3); // a late duplicate below the position: not applied, not sent
    publish(20, 21);
    List<Long> expected = List.of(1L, 2L, 5L, 6L, 9L, 10L, 14L, 20L, 21L);
    await().atMost(Duration.ofSeconds(10)).until(() -> live.position() == 21);
    assertThat(live.seqs()).isEqualTo(expected);
    assertThat(live.gaps()).isZero();
    assertThat(live.snapshotReasons()).containsExactly((String) null);
    assertThat(owner.duplicateCount()).isEqualTo(1);
    List<Long> prev = new ArrayList<>();
    synchronized (frames) {
      for (JsonObject f : frames) {
        if ("event".equals(f.getString("kind"))) {
          prev.add(f.getLong("prev_seq"));
        }
      }
    }
    assertThat(prev).containsExactly(0L, 1L, 2L, 5L, 6L, 9L, 10L, 14L, 20L);

    // A resume from inside a hole's neighbourhood: exactly the events after it, from the ring.
    List<JsonObject> resumedFrames = Collections.synchronizedList(new ArrayList<>());
    LivingMapStreamClient resumed = client(resumedFrames, "6");
    resumed.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> resumed.position() == 21);
    assertThat(resumed.seqs()).containsExactly(9L, 10L, 14L, 20L, 21L);
    assertThat(resumed.resumes()).isEqualTo(1);
    assertThat(resumed.snapshotReasons()).isEmpty();
    assertThat(resumed.gaps()).isZero();
  }

  @Test
  void aResumeFromAheadWaitsForThisReplicaToCatchUp() throws Exception {
    publish(1, 2, 4);
    await().atMost(Duration.ofSeconds(10)).until(() -> owner.state().seq() == 4);
    // A client that saw up to 8 on a replica further along comes here.
    List<JsonObject> frames = Collections.synchronizedList(new ArrayList<>());
    LivingMapStreamClient c = client(frames, "8");
    var connected = c.connect().toCompletionStage().toCompletableFuture();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> hub.waitingResumes().get(5, TimeUnit.SECONDS) == 1);
    assertThat(connected).isNotDone();
    publish(5, 8, 11, 12);
    connected.get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> c.position() == 12);
    assertThat(c.seqs()).containsExactly(11L, 12L);
    assertThat(c.snapshotReasons()).as("no resync").isEmpty();
    assertThat(c.resumes()).isEqualTo(1);
    assertThat(c.gaps()).isZero();
    assertThat(LongStream.of(5, 8).boxed().toList()).doesNotContainAnyElementsOf(c.seqs());
  }
}
