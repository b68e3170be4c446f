package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.Snapshot;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.junit.jupiter.api.Test;

class StreamResumeTest {

  private static void seed(StreamTestServer server) throws Exception {
    for (int n = 1; n <= 10; n++) {
      server.nodeMetrics(n, 0.01 * n);
    }
    server.settle();
  }

  /** Node metrics of the server's snapshot, by node id. */
  private static void assertSameNodes(StreamTestServer server, LivingMapStreamClient c)
      throws Exception {
    Snapshot snap = server.snapshot();
    var items = snap.json().getJsonObject("layers").getJsonObject("nodes").getJsonArray("items");
    assertThat(items).hasSize(10);
    for (Object o : items) {
      JsonObject node = (JsonObject) o;
      JsonObject mine = c.item(node.getString("id"));
      assertThat(mine).as(node.getString("id")).isNotNull();
      JsonObject want = node.getJsonObject("metrics");
      JsonObject got = mine.getJsonObject("metrics");
      for (String k : List.of("cpu", "gpu", "ram")) {
        assertThat(got.getDouble(k))
            .as(node.getString("id") + " " + k)
            .isEqualTo(want.getDouble(k));
      }
    }
  }

  @Test
  void resumeAfterDisconnectsDuringABurstHasNoGapNoDuplicateAndTheServersState() throws Exception {
    try (StreamTestServer server = StreamTestServer.start()) {
      seed(server);
      try (LivingMapStreamClient c =
          server.connected(new LivingMapStreamClient.Options().reconnect(true, 100))) {
        long start = c.position();
        Thread publisher =
            new Thread(
                () -> {
                  for (int i = 0; i < 8000; i++) {
                    server.nodeMetrics(i % 10 + 1, (i * 7 % 1000) / 1000.0);
                    if (i % 10 == 0) {
                      LockSupport.parkNanos(2_000_000); // pacing, about 5,000 events/s
                    }
                  }
                });
        publisher.start();
        int drops = 0;
        for (int k = 1; k <= 4; k++) {
          long mark = start + k * 1500L;
          await().atMost(Duration.ofSeconds(20)).until(() -> c.connected() && c.lastSeq() > mark);
          if (c.dropConnection()) {
            drops++;
          }
        }
        publisher.join();
        long end = server.settle();
        await().atMost(Duration.ofSeconds(20)).until(() -> c.lastSeq() == end && c.connected());
        assertThat(drops).isEqualTo(4);
        assertThat(c.reconnects()).isEqualTo(drops);
        assertThat(c.resumes()).isEqualTo(drops);
        assertThat(c.snapshotReasons()).containsExactly((String) null);
        assertThat(c.seqs())
            .containsExactlyElementsOf(LongStream.rangeClosed(start + 1, end).boxed().toList());
        assertThat(c.gaps()).isZero();
        assertSameNodes(server, c);
        assertThat(server.hub.stats().resumes()).isEqualTo(drops);
        assertThat(server.hub.stats().replayedFrames()).isPositive();
      }
    }
  }

  @Test
  void staleEpochGetsAResyncSnapshot() throws Exception {
    try (StreamTestServer server = StreamTestServer.start()) {
      seed(server);
      try (LivingMapStreamClient c =
          server.connected(
              new LivingMapStreamClient.Options()
                  .param("since_seq", "3")
                  .param("epoch", "other"))) {
        assertThat(c.snapshotReasons()).containsExactly("resync");
        assertThat(c.epoch()).isEqualTo("e1");
        assertThat(c.position()).isEqualTo(10);
        assertThat(server.hub.stats().resyncs()).isEqualTo(1);
      }
    }
  }

  @Test
  void positionOlderThanTheRingWithoutHistoryGetsAResync() throws Exception {
    StreamHub.Options small = new StreamHub.Options(20, 1 << 20, 100_000);
    try (StreamTestServer server =
        new StreamTestServer(StreamTestServer.settings(), small, MissedEvents.NONE)) {
      seed(server);
      for (int i = 0; i < 100; i++) {
        server.nodeMetrics(1, i / 100.0);
      }
      server.settle();
      // Within the ring (last 20): a replay, no snapshot.
      try (LivingMapStreamClient c =
          server.connected(
              new LivingMapStreamClient.Options().param("since_seq", "100").param("epoch", "e1"))) {
        assertThat(c.snapshotReasons()).isEmpty();
        assertThat(c.seqs())
            .containsExactlyElementsOf(LongStream.rangeClosed(101, 110).boxed().toList());
      }
      // Older than the ring: a resync snapshot.
      try (LivingMapStreamClient c =
          server.connected(
              new LivingMapStreamClient.Options().param("since_seq", "50").param("epoch", "e1"))) {
        assertThat(c.snapshotReasons()).containsExactly("resync");
        assertThat(c.position()).isEqualTo(110);
      }
      // Ahead of the server (it lost events): a resync snapshot.
      try (LivingMapStreamClient c =
          server.connected(
              new LivingMapStreamClient.Options().param("since_seq", "500").param("epoch", "e1"))) {
        assertThat(c.snapshotReasons()).containsExactly("resync");
      }
    }
  }

  /** History behind the ring: a sink recording every event, as the history store would. */
  private static final class RecordingHistory implements MissedEvents {
    final List<Event> events = new CopyOnWriteArrayList<>();
    volatile int lag;

    @Override
    public CompletableFuture<List<Event>> after(String epoch, long afterSeq, int limit) {
      List<Event> out = new ArrayList<>();
      int available = events.size() - lag;
      for (int i = 0; i < available && out.size() < limit; i++) {
        Event e = events.get(i);
        if (e.epoch().equals(epoch) && e.seq() > afterSeq) {
          out.add(e);
        }
      }
      return CompletableFuture.supplyAsync(() -> out);
    }
  }

  @Test
  void positionOlderThanTheRingIsServedFromHistoryAndALaggingHistoryGivesAResync()
      throws Exception {
    RecordingHistory history = new RecordingHistory();
    StreamHub.Options small = new StreamHub.Options(20, 1 << 20, 100_000);
    try (StreamTestServer server =
        new StreamTestServer(StreamTestServer.settings(), small, history)) {
      server.owner.addSink(history.events::addAll);
      seed(server);
      for (int i = 0; i < 100; i++) {
        server.nodeMetrics(i % 3 + 1, i / 100.0);
      }
      long end = server.settle();
      try (LivingMapStreamClient c =
          server.connected(
              new LivingMapStreamClient.Options().param("since_seq", "30").param("epoch", "e1"))) {
        assertThat(c.snapshotReasons()).isEmpty();
        assertThat(c.seqs())
            .containsExactlyElementsOf(LongStream.rangeClosed(31, end).boxed().toList());
        assertThat(server.hub.stats().resumesFromHistory()).isEqualTo(1);
      }
      history.lag = 50; // the history store has not written the last 50 yet
      try (LivingMapStreamClient c =
          server.connected(
              new LivingMapStreamClient.Options().param("since_seq", "30").param("epoch", "e1"))) {
        assertThat(c.snapshotReasons()).containsExactly("resync");
        assertThat(c.seqs()).isEmpty();
      }
    }
  }

  @Test
  void resumeAsFirstMessage() throws Exception {
    try (StreamTestServer server =
        new StreamTestServer(
            StreamTestServer.settings().withResumeWindow(Duration.ofSeconds(5)),
            StreamHub.Options.defaults(),
            MissedEvents.NONE)) {
      seed(server);
      List<JsonObject> frames = new CopyOnWriteArrayList<>();
      try (LivingMapStreamClient c =
          server.connected(
              new LivingMapStreamClient.Options()
                  .resumeByMessage(true)
                  .param("since_seq", "7")
                  .param("epoch", "e1")
                  .onFrame(frames::add))) {
        assertThat(frames)
            .extracting(f -> f.getString("kind"))
            .containsExactly("event", "event", "event", "resumed");
        assertThat(c.seqs()).containsExactly(8L, 9L, 10L);
        assertThat(c.resumes()).isEqualTo(1);
      }
    }
  }
}
