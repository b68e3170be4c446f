package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 part 3, the sequence as reported: {@code node.metrics.n1 {"cpu":1e400}} over NATS core,
 * a stored snapshot, a restart. Then the same restart from a snapshot stored by a version without
 * the checks ({@code "cpu":"Infinity"} in it): the service replays history instead, serves {@code
 * /snapshot} and the stream, and says so in {@code /health}.
 */
class PoisonedRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void aNonFiniteNumberNeverReachesTheStateAndABadStoredSnapshotFallsBackToHistory()
      throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url())) {
      Map<String, String> env = new HashMap<>();
      env.put("DATABASE_URL", db.databaseUrl());
      env.put("NATS_URL", nats.url());
      env.put("LIVING_MAP_NATS_MODE", "core");
      env.put("LIVING_MAP_SIMULATOR", "off");
      Config config = TestApps.config(env);

      try (Application app = TestApps.start(config)) {
        Http http = new Http(app.port());
        KillMidIngestTest.awaitNatsOk(http);
        publish(raw, "{\"node_id\":\"node:n1\",\"cpu\":0.5}");
        publish(raw, "{\"node_id\":\"node:n1\",\"cpu\":1e400}");
        await().atMost(WAIT).until(() -> app.intake().rejectedCount() == 1);
        await().atMost(WAIT).until(() -> app.history().lastPosition().join().isPresent());
        JsonObject rejected = http.get("/living-map/rejected?limit=10").json();
        assertThat(rejected.getJsonArray("items").getJsonObject(0).getString("reason"))
            .isEqualTo("field 'cpu' is not a finite number");
        assertThat(cpuOfN1(http)).isEqualTo(0.5);
        app.storeSnapshotNow().join();
      }

      // Restart from the snapshot this version stored.
      try (Application app = TestApps.start(config)) {
        Http http = new Http(app.port());
        assertThat(http.get("/living-map/snapshot").status()).isEqualTo(200);
        assertThat(cpuOfN1(http)).isEqualTo(0.5);
        assertThat(restore(http).getString("from")).isEqualTo("snapshot");
      }

      // What an earlier version stored after taking the event in: "cpu":"Infinity".
      poisonNewestSnapshot(db);
      try (Application app = TestApps.start(config)) {
        Http http = new Http(app.port());
        Http.Response snapshot = http.get("/living-map/snapshot");
        assertThat(snapshot.status()).as(snapshot.body()).isEqualTo(200);
        assertThat(cpuOfN1(http)).isEqualTo(0.5);
        JsonObject restore = restore(http);
        assertThat(restore.getString("from")).isEqualTo("history");
        assertThat(restore.getString("snapshot_rejected")).contains("node:n1").contains("cpu");
        try (StreamProbe stream = new StreamProbe(app.port())) {
          await().atMost(WAIT).until(() -> stream.frames() >= 1);
          publish(raw, "{\"node_id\":\"node:n1\",\"cpu\":0.25}");
          await().atMost(WAIT).until(() -> stream.events() >= 1);
          assertThat(stream.closedHow()).isNull();
        }
        assertThat(cpuOfN1(http)).isEqualTo(0.25);
      }
    }
  }

  private static void publish(Connection raw, String json) throws Exception {
    raw.publish("node.metrics.n1", json.getBytes(StandardCharsets.UTF_8));
    raw.flush(WAIT);
  }

  private static JsonObject restore(Http http) {
    return http.get("/living-map/health")
        .json()
        .getJsonObject("checks")
        .getJsonObject("state")
        .getJsonObject("restore");
  }

  private static double cpuOfN1(Http http) {
    return http.get("/living-map/entities/node:n1")
        .json()
        .getJsonObject("data", new JsonObject())
        .getJsonObject("metrics")
        .getDouble("cpu");
  }

  private static void poisonNewestSnapshot(TestDatabase.Fresh db) throws Exception {
    try (java.sql.Connection c = db.connect()) {
      String id;
      JsonObject body;
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, snapshot_data::text FROM living_map_snapshots"
                      + " ORDER BY generated_at DESC LIMIT 1");
          ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        id = rs.getString(1);
        body = new JsonObject(rs.getString(2));
      }
      body.getJsonObject("state").getJsonArray("entities").stream()
          .map(JsonObject.class::cast)
          .filter(e -> "node:n1".equals(e.getString("id")))
          .forEach(e -> e.getJsonObject("data").getJsonObject("metrics").put("cpu", "Infinity"));
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE living_map_snapshots SET snapshot_data = ?::jsonb WHERE id::text = ?")) {
        ps.setString(1, body.encode());
        ps.setString(2, id);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
    }
  }
}
