package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import org.daarion.livingmap.event.Event;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 part 2: a client's send queue is bounded in bytes, not only in frames. A client that
 * does not read and is sent 300 events of 100 KiB overflows a 256 KiB queue (and is resynced) long
 * before the 10,000-frame bound, which alone let it hold a gigabyte of 1 MiB frames.
 */
class StreamQueueBytesTest {
  private static final long QUEUE_BYTES = 256 * 1024;

  @Test
  void aClientThatDoesNotReadOverflowsItsByteBoundBeforeItsFrameBound() throws Exception {
    StreamEndpoint.Settings settings =
        StreamTestServer.settings()
            .withQueue(10_000)
            .withQueueBytes(QUEUE_BYTES)
            .withResyncTimeout(Duration.ofSeconds(30));
    try (StreamTestServer server =
        new StreamTestServer(settings, StreamHub.Options.defaults(), MissedEvents.NONE)) {
      server.nodeMetrics(1, 0.5);
      server.settle();
      try (RawWebSocket stalled = new RawWebSocket(server.port, null, 4096)) {
        assertThat(stalled.status).isEqualTo("HTTP/1.1 101 Switching Protocols");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.hub.stats().connections() == 1);
        // Its snapshot read, the client is subscribed: what follows reaches it as frames.
        String first = "";
        for (int m = 0; m < 5 && !first.contains("\"snapshot\""); m++) {
          first = stalled.readMessage().text();
        }
        assertThat(first).contains("\"snapshot\"");
        String pad = "x".repeat(100 * 1024);
        // 30 MB: more than loopback's socket buffers take in, so the rest must queue.
        for (int i = 0; i < 300; i++) {
          JsonObject p = new JsonObject().put("node_id", "node:n" + i).put("pad", pad);
          server.owner.submit(
              Event.incoming("node.metrics.n" + i, p, Clock.systemUTC().instant(), null, null));
        }
        server.settle();
        await().atMost(Duration.ofSeconds(60)).until(() -> server.hub.stats().overflows() >= 1);
        // 300 frames: the frame bound (10,000) was never near; the byte bound overflowed.
        assertThat(server.hub.stats().maxQueueDepth()).isLessThan(300);
        assertThat(server.endpoint.queueDepths()).allMatch(d -> d < 300);
      }
    }
  }
}
