package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 8: a cluster-mode replica's live consumer (ordered, unacknowledged) and its share of the
 * durable history consumer both carry on across a nats-server restart: the events published after
 * it are applied at their stream positions and written once.
 */
// a system test: several processes or replicas, tens of seconds; left out of the fast loop
@Tag("system")
class ReplicaNatsRestartTest {
  private static final int BEFORE = 200;
  private static final int AFTER = 300;

  @Test
  void liveAndHistoryPathsResumeAfterANatsRestart() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    try (NatsServerProcess nats = NatsServerProcess.start()) {
      Map<String, String> env = new HashMap<>();
      env.put("DATABASE_URL", db.databaseUrl());
      env.put("NATS_URL", nats.url());
      env.put("LIVING_MAP_NATS_MODE", "jetstream");
      env.put("LIVING_MAP_SIMULATOR", "off");
      env.put("LIVING_MAP_REPLICA_ID", "restart-1");
      try (Application app = TestApps.start(TestApps.config(env))) {
        Http http = new Http(app.port());
        publish(nats, 0, BEFORE);
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> cluster(http).getLong("applied_seq") == BEFORE);

        nats.restart();
        publish(nats, BEFORE, AFTER);
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> cluster(http).getLong("applied_seq") == BEFORE + AFTER);
        assertThat(cluster(http).getLong("lag")).isZero();
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> rows(db) == BEFORE + AFTER);
        try (var c = db.connect();
            PreparedStatement ps =
                c.prepareStatement(
                    "SELECT count(DISTINCT seq), min(seq), max(seq) FROM living_map_history");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(BEFORE + AFTER);
          assertThat(rs.getLong(2)).isEqualTo(1);
          assertThat(rs.getLong(3)).isEqualTo(BEFORE + AFTER);
        }
        JsonObject node =
            http.get("/living-map/entities/node:restart-" + ((BEFORE + AFTER - 1) % 5)).json();
        assertThat(node.getJsonObject("data").getJsonObject("metrics").getDouble("cpu"))
            .isEqualTo((double) (BEFORE + AFTER - 1));
      }
    }
  }

  private static void publish(NatsServerProcess nats, int from, int count) throws Exception {
    try (NatsPublisher p =
        NatsPublisher.connect(nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      for (int i = from; i < from + count; i++) {
        String node = "restart-" + (i % 5);
        p.publish(
            "node.metrics." + node,
            new JsonObject()
                .put("node_id", node)
                .put("cpu", (double) i)
                .encode()
                .getBytes(StandardCharsets.UTF_8),
            "restart-" + i);
      }
      p.flush(Duration.ofSeconds(30));
      assertThat(p.failed()).isZero();
    }
  }

  private static JsonObject cluster(Http http) {
    return http.get("/living-map/health").json().getJsonObject("checks").getJsonObject("cluster");
  }

  private static long rows(TestDatabase.Fresh db) throws Exception {
    try (var c = db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM living_map_history");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
