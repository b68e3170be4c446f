package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.junit.jupiter.api.Test;

/**
 * {@link ClusterStream#readBack}: a replica that starts reads back the silences older than its
 * restored state, only those, up to its position; with none on the stream it does not wait past its
 * idle time (start-up must not hang on it).
 */
class ClusterStreamReadBackTest {
  @Test
  void readsBackOnlyTheFilteredSubjectUpToThePositionAndReturnsWhenThereIsNone() throws Exception {
    try (NatsServerProcess nats = NatsServerProcess.start()) {
      Config config =
          Config.of(
              Map.of(
                  "NATS_URL", nats.url(),
                  "LIVING_MAP_NATS_MODE", "jetstream",
                  "LIVING_MAP_REPLICA_ID", "readback",
                  "DATABASE_URL", "postgresql://127.0.0.1:1/none",
                  "LIVING_MAP_SIMULATOR", "off"));
      try (ClusterStream stream = new ClusterStream(config, NatsTuning.DEFAULTS);
          var raw = io.nats.client.Nats.connect(nats.url())) {
        stream.connect(Duration.ofSeconds(30));
        var js = raw.jetStream();
        for (int i = 0; i < 500; i++) {
          js.publish(
              "node.metrics.n" + i, ("{\"cpu\":" + i + "}").getBytes(StandardCharsets.UTF_8));
        }
        long started = System.nanoTime();
        List<String> none = new ArrayList<>();
        long n =
            stream.readBack(
                "living_map.alert.silence.>", 500, Duration.ofSeconds(1), (s, d) -> none.add(s));
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertThat(n).isZero();
        assertThat(none).isEmpty();
        assertThat(ms).as("returned without waiting long").isLessThan(10_000);

        js.publish("living_map.alert.silence.created", "{\"id\":\"s1\"}".getBytes());
        js.publish("node.metrics.x", "{}".getBytes());
        js.publish("living_map.alert.silence.deleted", "{\"id\":\"s1\"}".getBytes());
        long position = js.publish("node.metrics.y", "{}".getBytes()).getSeqno();
        js.publish("living_map.alert.silence.created", "{\"id\":\"s2\"}".getBytes());
        List<String> read = new ArrayList<>();
        stream.readBack(
            "living_map.alert.silence.>",
            position,
            Duration.ofSeconds(1),
            (s, d) -> read.add(s + " " + new String(d, StandardCharsets.UTF_8)));
        assertThat(read)
            .containsExactly(
                "living_map.alert.silence.created {\"id\":\"s1\"}",
                "living_map.alert.silence.deleted {\"id\":\"s1\"}");
      }
    }
  }
}
