package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.config.Config;
import org.junit.jupiter.api.Test;

/**
 * With the service's default settings, a client that falls behind by one upstream poll's burst
 * (5,000-6,000 events within 100 ms at 100x DAARION) gets every event in order, not a resync: the
 * send queue's default bounds are the resume ring's. With the earlier 4,096 frames every client was
 * resynchronised with the whole snapshot at each such poll, and closed after three.
 */
class StreamBurstTest {
  private static final int BURST = 6_000;

  @Test
  void aClientBehindByOnePollsBurstCatchesUpWithoutAResync() throws Exception {
    StreamEndpoint.Settings defaults = StreamEndpoint.Settings.from(Config.of(Map.of()));
    try (StreamTestServer server =
        new StreamTestServer(defaults, StreamHub.Options.defaults(), MissedEvents.NONE)) {
      server.nodeMetrics(1, 0.5);
      server.settle();
      // A 4 KiB receive buffer: what the client does not read stays in the server's queue.
      try (RawWebSocket slow = new RawWebSocket(server.port, "batch=1", 4096)) {
        assertThat(slow.status).isEqualTo("HTTP/1.1 101 Switching Protocols");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.hub.stats().connections() == 1);
        String first = "";
        for (int m = 0; m < 5 && !first.contains("\"snapshot\""); m++) {
          first = slow.readMessage().text();
        }
        long from = new JsonObject(first).getLong("seq");
        // One command emits the burst, as one upstream poll's reconciliation does: the sinks get
        // it as one batch, and the client reads nothing meanwhile.
        server
            .owner
            .call(
                a -> {
                  for (int i = 0; i < BURST; i++) {
                    a.emit(
                        "node.metrics.n" + (i % 500),
                        "node:n" + (i % 500),
                        "node",
                        new JsonObject().put("node_id", "node:n" + (i % 500)).put("cpu", i % 100));
                  }
                  return null;
                })
            .get(10, TimeUnit.SECONDS);
        long end = server.settle();
        assertThat(end - from).isGreaterThanOrEqualTo(BURST);

        long expected = from + 1;
        while (expected <= end) {
          String text = slow.readMessage().text();
          for (String line : text.split("\n")) {
            JsonObject f = new JsonObject(line);
            assertThat(f.getString("kind")).as("frame at seq %d", expected).isEqualTo("event");
            assertThat(f.getLong("seq")).isEqualTo(expected);
            expected++;
          }
        }
        assertThat(server.hub.stats().overflows()).isZero();
      }
    }
  }
}
