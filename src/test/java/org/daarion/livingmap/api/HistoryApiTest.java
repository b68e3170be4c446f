package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.Test;

/** History, time travel and restart over the real service and a real PostgreSQL. */
class HistoryApiTest {
  private static byte[] metrics(String node, double cpu) {
    return ("{\"node_id\":\"" + node + "\",\"cpu\":" + cpu + ",\"gpu\":0.1,\"ram\":0.2}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static JsonArray items(Http http, String path) {
    Http.Response r = http.get(path);
    assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
    return r.json().getJsonArray("items");
  }

  @Test
  void historyReturnsWhatWasWrittenNewestFirstWithFilters() {
    try (Application app = TestApps.start(TestApps.config(Map.of("LIVING_MAP_SIMULATOR", "off")))) {
      Http http = new Http(app.port());
      for (int i = 0; i < 30; i++) {
        app.bus().publish("node.metrics.n" + (i % 3), metrics("n" + (i % 3), i / 100.0), "m-" + i);
      }
      app.bus()
          .publish(
              "agent.event.status",
              "{\"agent_id\":\"agent:sofia\",\"status\":\"online\"}"
                  .getBytes(StandardCharsets.UTF_8),
              null);
      app.bus()
          .publish("node.metrics.bad", "{\"cpu\":\"hot\"}".getBytes(StandardCharsets.UTF_8), null);
      await()
          .untilAsserted(
              () ->
                  assertThat(http.get("/living-map/history?limit=1000").json().getLong("total"))
                      .isEqualTo(31));
      JsonObject page = http.get("/living-map/history?limit=10").json();
      JsonArray list = page.getJsonArray("items");
      assertThat(list).hasSize(10);
      assertThat(page.getBoolean("has_more")).isTrue();
      JsonObject newest = list.getJsonObject(0);
      assertThat(newest.getString("event_type")).isEqualTo("agent.event.status");
      assertThat(newest.fieldNames())
          .contains(
              "id",
              "timestamp",
              "event_type",
              "payload",
              "source_service",
              "entity_id",
              "entity_type",
              "seq",
              "epoch");
      assertThat(newest.getJsonObject("payload").getString("status")).isEqualTo("online");
      long previous = Long.MAX_VALUE;
      for (Object o : list) {
        long seq = ((JsonObject) o).getLong("seq");
        assertThat(seq).isLessThan(previous);
        previous = seq;
      }
      assertThat(items(http, "/living-map/history?entity_id=node:n1&limit=100")).hasSize(10);
      assertThat(items(http, "/living-map/history?event_type=node.metrics.*&limit=100"))
          .hasSize(30);
      assertThat(items(http, "/living-map/history?event_type=agent.%3E&limit=100")).hasSize(1);
      assertThat(items(http, "/living-map/history?entity_type=agent")).hasSize(1);
      assertThat(http.get("/living-map/history?since=not-a-date").status()).isEqualTo(400);
      assertThat(http.get("/living-map/history?since=not-a-date").json().getString("parameter"))
          .isEqualTo("since");
      assertThat(http.get("/living-map/history?limit=1001").json().getString("parameter"))
          .isEqualTo("limit");
      await()
          .untilAsserted(
              () -> {
                JsonObject rejected = http.get("/living-map/rejected").json();
                assertThat(rejected.getJsonArray("items")).hasSize(1);
                assertThat(rejected.getJsonArray("items").getJsonObject(0).getString("reason"))
                    .contains("'cpu'");
              });
      JsonObject stats = http.get("/living-map/history/stats?bucket=1m").json();
      assertThat(stats.toString()).contains("node.metrics.n0");
    }
  }

  @Test
  void timeTravelShowsTheStateAtAPastInstant() {
    try (Application app = TestApps.start(TestApps.config(Map.of("LIVING_MAP_SIMULATOR", "off")))) {
      Http http = new Http(app.port());
      app.bus().publish("node.metrics.t", metrics("t", 0.11), null);
      await().until(() -> app.owner().state().get("node:t") != null);
      app.storeSnapshotNow().join();
      app.bus().publish("node.metrics.t", metrics("t", 0.22), null);
      await().until(() -> app.history().lastPosition().join().map(p -> p.seq()).orElse(0L) >= 2);
      Instant between = Instant.now();
      await().until(() -> Instant.now().isAfter(between.plusMillis(20)));
      app.bus().publish("node.metrics.t", metrics("t", 0.33), null);
      await().until(() -> app.history().lastPosition().join().map(p -> p.seq()).orElse(0L) >= 3);
      JsonObject past = http.get("/living-map/snapshot?at=" + between).json();
      assertThat(
              ApiContractTest.find(past, "nodes", "node:t")
                  .getJsonObject("metrics")
                  .getDouble("cpu"))
          .isEqualTo(0.22);
      JsonObject now = http.get("/living-map/snapshot").json();
      assertThat(
              ApiContractTest.find(now, "nodes", "node:t")
                  .getJsonObject("metrics")
                  .getDouble("cpu"))
          .isEqualTo(0.33);
      assertThat(http.get("/living-map/snapshot?at=2001-01-01T00:00:00Z").status()).isEqualTo(404);
      assertThat(http.get("/living-map/snapshots").json().getJsonArray("items")).isNotEmpty();
    }
  }

  @Test
  void historyAndStateSurviveARestartOfTheEmbeddedDefault() throws Exception {
    Path dataDir = Files.createTempDirectory("living-map-restart");
    Map<String, String> env = new HashMap<>();
    env.put("LIVING_MAP_SIMULATOR", "off");
    env.put("DATABASE_URL", null);
    env.put("LIVING_MAP_DATA_DIR", dataDir.toString());
    Config config = TestApps.config(env);
    long lastSeq;
    String epoch;
    try (Application app = TestApps.start(config)) {
      Http http = new Http(app.port());
      for (int i = 0; i < 5; i++) {
        app.bus().publish("node.metrics.r", metrics("r", 0.5 + i / 100.0), null);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> http.get("/living-map/history").json().getLong("total") == 5);
      lastSeq = app.owner().state().seq();
      epoch = app.owner().state().epoch();
    }
    try (Application app = TestApps.start(config)) {
      Http http = new Http(app.port());
      assertThat(http.get("/living-map/history").json().getJsonArray("items")).hasSize(5);
      JsonObject node =
          ApiContractTest.find(http.get("/living-map/snapshot").json(), "nodes", "node:r");
      assertThat(node.getJsonObject("metrics").getDouble("cpu")).isEqualTo(0.54);
      app.bus().publish("node.metrics.r", metrics("r", 0.9), null);
      await().until(() -> app.owner().state().seq() == lastSeq + 1);
      assertThat(app.owner().state().epoch()).isEqualTo(epoch);
      List<Long> seqs =
          http.get("/living-map/history").json().getJsonArray("items").stream()
              .map(o -> ((JsonObject) o).getLong("seq"))
              .toList();
      assertThat(seqs).containsExactly(6L, 5L, 4L, 3L, 2L, 1L);
    }
  }
}
