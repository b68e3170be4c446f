package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's last limit, for a single instance: silences live only in memory and in the stored
 * snapshot. A silence created (and another deleted) is in the stored snapshot soon after, without
 * waiting for the snapshot interval, and a restart on the same database lists the kept one, with
 * its matchers and expiry, and not the deleted one.
 */
class SilencesAcrossRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void silencesSurviveARestartThroughTheStoredSnapshot() throws Exception {
    // an interval far beyond the test: only a save made because of the change can hold them
    Config config =
        TestApps.config(
            Map.of("LIVING_MAP_SIMULATOR", "off", "LIVING_MAP_SNAPSHOT_INTERVAL", "1h"));
    JsonObject kept;
    try (Application app = TestApps.start(config)) {
      Http http = new Http(app.port());
      Http.Response created =
          http.post(
              "/living-map/silences",
              new JsonObject()
                  .put(
                      "matchers",
                      new JsonObject().put("rule", "node_cpu_high").put("severity", "warning"))
                  .put("duration", "3h")
                  .put("comment", "replacing the fan")
                  .put("created_by", "ops")
                  .encode());
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      kept = created.json();
      Http.Response other =
          http.post(
              "/living-map/silences",
              new JsonObject()
                  .put("matchers", new JsonObject().put("entity_id", "node:n1"))
                  .put("duration", "1h")
                  .encode());
      assertThat(other.status()).as(other.body()).isEqualTo(201);
      String deleted = other.json().getString("id");
      assertThat(http.delete("/living-map/silences/" + deleted).status()).isEqualTo(204);

      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> storedSilenceIds(config).equals(List.of(kept.getString("id"))));
    }

    try (Application app = TestApps.start(config)) {
      JsonArray items =
          new Http(app.port()).get("/living-map/silences").json().getJsonArray("items");
      assertThat(items).hasSize(1);
      JsonObject back = items.getJsonObject(0);
      assertThat(back.getString("id")).isEqualTo(kept.getString("id"));
      assertThat(back.getJsonObject("matchers")).isEqualTo(kept.getJsonObject("matchers"));
      assertThat(back.getString("expires_at")).isEqualTo(kept.getString("expires_at"));
      assertThat(back.getString("comment")).isEqualTo("replacing the fan");
      assertThat(back.getString("state")).isEqualTo("active");
    }
  }

  /** The silence ids in the newest stored snapshot. */
  private static List<String> storedSilenceIds(Config config) throws Exception {
    try (Connection c = DriverManager.getConnection(config.databaseUrl.orElseThrow().jdbcUrl());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT snapshot_data::text FROM living_map_snapshots ORDER BY generated_at DESC,"
                    + " id DESC LIMIT 1")) {
      List<String> ids = new ArrayList<>();
      if (rs.next()) {
        JsonArray s = new JsonObject(rs.getString(1)).getJsonArray("silences", new JsonArray());
        for (Object o : s) {
          ids.add(((JsonObject) o).getString("id"));
        }
      }
      return ids;
    }
  }
}
