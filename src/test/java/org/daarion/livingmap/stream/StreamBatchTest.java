package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Batched framing ({@code batch=1}) next to the default one-object-per-message framing. */
class StreamBatchTest {
  private static final int EVENTS = 3000;

  private StreamTestServer server;

  @BeforeEach
  void start() throws Exception {
    server = StreamTestServer.start();
    server.nodeMetrics(1, 0.1);
    server.settle();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void batchMessagesHoldEveryEventInOrderAsTheSameBytesAsSingleFrames() throws Exception {
    try (RawWebSocket batched = new RawWebSocket(server.port, "batch=1", 1 << 20);
        RawWebSocket single = new RawWebSocket(server.port, null, 1 << 20)) {
      assertThat(batched.status).contains("101");
      assertThat(single.status).contains("101");
      long batchedAt = snapshotSeq(batched.readMessage());
      long singleAt = snapshotSeq(single.readMessage());
      assertThat(batchedAt).isEqualTo(singleAt);

      // Padded payloads: 3,000 events of about 400 bytes cannot fit one 64 KiB batch frame.
      String pad = "x".repeat(300);
      for (int i = 0; i < EVENTS; i++) {
        server.publish(
            "node.metrics.n" + (i % 7 + 1),
            new JsonObject()
                .put("node_id", "node:n" + (i % 7 + 1))
                .put("cpu", (i % 100) / 100.0)
                .put("pad", pad));
      }
      long end = server.settle();

      Map<Long, String> singles = new HashMap<>();
      long expect = singleAt + 1;
      while (expect <= end) {
        RawWebSocket.Message m = single.readMessage();
        assertThat(m.opcode()).isEqualTo(1);
        String text = m.text();
        assertThat(text).doesNotContain("\n");
        JsonObject o = new JsonObject(text);
        assertThat(o.getString("kind")).isEqualTo("event");
        assertThat(o.getLong("seq")).isEqualTo(expect);
        singles.put(expect, text);
        expect++;
      }

      int messages = 0;
      List<Integer> linesPerMessage = new ArrayList<>();
      expect = batchedAt + 1;
      while (expect <= end) {
        RawWebSocket.Message m = batched.readMessage();
        messages++;
        assertThat(m.opcode()).isEqualTo(1);
        // One unfragmented frame of at most 65,535 payload bytes per batch message.
        assertThat(m.frames()).hasSize(1);
        assertThat(m.payload().length).isLessThanOrEqualTo(StreamConnection.MAX_BATCH_PAYLOAD);
        String[] lines = m.text().split("\n", -1);
        linesPerMessage.add(lines.length);
        for (String line : lines) {
          JsonObject o = new JsonObject(line);
          assertThat(o.getString("kind")).isEqualTo("event");
          assertThat(o.getLong("seq")).as("seq continuity").isEqualTo(expect);
          assertThat(line).isEqualTo(singles.get(expect));
          expect++;
        }
      }
      assertThat(expect).isEqualTo(end + 1);
      assertThat(messages).isLessThan(EVENTS);
      // Batches are built only on the prepared-frame path; regression: behind Vert.x Web's socket
      // wrapper that path was never taken and every frame went through the Vert.x API.
      assertThat(server.hub.stats().batchesSent()).isEqualTo(messages);
      assertThat(linesPerMessage).anyMatch(n -> n > 1);
    }
  }

  @Test
  void anEventLargerThanABatchFrameComesAloneAndInOrder() throws Exception {
    try (RawWebSocket batched = new RawWebSocket(server.port, "batch=1", 1 << 20)) {
      long at = snapshotSeq(batched.readMessage());
      server.nodeMetrics(2, 0.2);
      server.publish(
          "node.metrics.n3",
          new JsonObject()
              .put("node_id", "node:n3")
              .put("cpu", 0.3)
              .put("pad", "y".repeat(70_000)));
      server.nodeMetrics(4, 0.4);
      long end = server.settle();
      List<Long> seqs = new ArrayList<>();
      boolean sawBig = false;
      while (seqs.size() < end - at) {
        RawWebSocket.Message m = batched.readMessage();
        String[] lines = m.text().split("\n", -1);
        for (String line : lines) {
          JsonObject o = new JsonObject(line);
          seqs.add(o.getLong("seq"));
          if (o.getJsonObject("payload").containsKey("pad")) {
            sawBig = true;
            assertThat(lines).hasSize(1);
            assertThat(m.frames()).hasSizeGreaterThan(1);
          }
        }
      }
      assertThat(sawBig).isTrue();
      assertThat(seqs).containsExactly(at + 1, at + 2, at + 3);
    }
  }

  @Test
  void controlFramesOfABatchConnectionAreMessagesOfOneObject() throws Exception {
    try (RawWebSocket batched = new RawWebSocket(server.port, "batch=1", 1 << 20)) {
      snapshotSeq(batched.readMessage());
      batched.sendText("{\"op\":\"ping\"}");
      RawWebSocket.Message pong = batched.readMessage();
      assertThat(new JsonObject(pong.text()).getString("kind")).isEqualTo("pong");
    }
  }

  @Test
  void batchMustBeZeroOrOne() throws Exception {
    try (RawWebSocket refused = new RawWebSocket(server.port, "batch=2", 1 << 16)) {
      assertThat(refused.status).contains("400");
      JsonObject body = new JsonObject(refused.body());
      assertThat(body.getString("parameter")).isEqualTo("batch");
    }
    try (RawWebSocket off = new RawWebSocket(server.port, "batch=0", 1 << 16)) {
      assertThat(off.status).contains("101");
    }
  }

  @Test
  void referenceClientFollowsABatchStreamWithoutGaps() throws Exception {
    try (LivingMapStreamClient c =
        server.connected(new LivingMapStreamClient.Options().batch(true))) {
      for (int i = 0; i < 500; i++) {
        server.nodeMetrics(i % 5 + 1, (i % 100) / 100.0);
      }
      long end = server.settle();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.lastSeq() == end);
      assertThat(c.gaps()).isZero();
      assertThat(c.duplicates()).isZero();
    }
  }

  @Test
  void benchmarkModeClientReadsBatchLines() throws Exception {
    List<String> raw = new CopyOnWriteArrayList<>();
    try (LivingMapStreamClient c =
        server.connected(
            new LivingMapStreamClient.Options()
                .batch(true)
                .keepSeqs(false)
                .rawEvents(b -> raw.add(b.toString(StandardCharsets.UTF_8))))) {
      for (int i = 0; i < 500; i++) {
        server.nodeMetrics(i % 5 + 1, (i % 100) / 100.0);
      }
      long end = server.settle();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.lastSeq() == end);
      assertThat(c.gaps()).isZero();
    }
    assertThat(raw).allMatch(l -> l.startsWith("{\"kind\":\"event\"") && !l.contains("\n"));
  }

  private static long snapshotSeq(RawWebSocket.Message m) {
    JsonObject o = new JsonObject(m.text());
    assertThat(o.getString("kind")).isEqualTo("snapshot");
    return o.getLong("seq");
  }
}
