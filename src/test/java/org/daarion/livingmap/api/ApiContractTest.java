package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.UpstreamPoll;
import org.daarion.livingmap.testing.Fixtures;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The contract's routes and shapes against the real service over HTTP (CONTRACT section 2). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiContractTest {
  private Application app;
  private Http http;

  @BeforeAll
  void start() {
    Config config = TestApps.config(Map.of("LIVING_MAP_SIMULATOR", "off"));
    app = Application.start(config).toCompletionStage().toCompletableFuture().join();
    http = new Http(app.port());
    publish("node.metrics.node-03", Fixtures.bytes("events/node.metrics.node-03.json"));
    publish("agent.event.status", Fixtures.bytes("events/agent.event.status.json"));
    publish("dao.event.created", Fixtures.bytes("events/dao.event.created.json"));
    publish("microdao.event.created", Fixtures.bytes("events/microdao.event.created.json"));
    app.owner()
        .applyPoll(
            new UpstreamPoll(
                "messaging-service",
                Set.of("channel"),
                List.of(
                    new EntityPatch(
                        "channel:general",
                        "channel",
                        new JsonObject().put("name", "general"),
                        null,
                        null))))
        .join();
    await().until(() -> app.owner().state().size() == 5);
  }

  @AfterAll
  void stop() {
    app.close();
  }

  private void publish(String subject, byte[] data) {
    app.bus().publish(subject, data, null);
  }

  @Test
  void healthHasTheContractShape() {
    JsonObject h = http.get("/living-map/health").json();
    assertThat(h.getString("status")).isIn("ok", "degraded");
    assertThat(h.getString("service")).isEqualTo("living-map-service");
    assertThat(h.getString("version")).isNotBlank();
    assertThat(h.getString("time")).isNotBlank();
    assertThat(http.get("/living-map/health/live").status()).isEqualTo(200);
  }

  @Test
  void aNodeMetricsEventChangesThatNodeInTheNextSnapshot() {
    publish(
        "node.metrics.node-03",
        "{\"node_id\":\"node:03\",\"cpu\":0.12,\"gpu\":0.34,\"ram\":0.5}"
            .getBytes(StandardCharsets.UTF_8));
    await()
        .untilAsserted(
            () -> {
              JsonObject node = find(http.get("/living-map/snapshot").json(), "nodes", "node:03");
              assertThat(node.getJsonObject("metrics").getDouble("cpu")).isEqualTo(0.12);
            });
  }

  @Test
  void snapshotCarriesItsPositionAndAnEtag() {
    Http.Response r = http.get("/living-map/snapshot");
    assertThat(r.status()).isEqualTo(200);
    JsonObject s = r.json();
    assertThat(s.getLong("seq")).isPositive();
    assertThat(s.getString("epoch")).isNotBlank();
    String etag = r.headers().firstValue("ETag").orElseThrow();
    Http.Response again = http.get("/living-map/snapshot", "If-None-Match", etag);
    assertThat(again.status()).isIn(200, 304);
  }

  @Test
  void entitiesCoverEveryKindWithTheContractItem() {
    JsonArray items = http.get("/living-map/entities").json().getJsonArray("items");
    assertThat(items.stream().map(o -> ((JsonObject) o).getString("type")))
        .contains("microdao", "dao", "node", "agent", "channel");
    JsonObject first = items.getJsonObject(0);
    assertThat(first.fieldNames())
        .containsExactlyInAnyOrder("id", "type", "label", "status", "layer");
  }

  @Test
  void entityFiltersWork() {
    assertThat(ids("/living-map/entities?type=node")).containsExactly("node:03");
    assertThat(ids("/living-map/entities?layer=agents")).containsExactly("agent:sofia");
    assertThat(ids("/living-map/entities?layer=city"))
        .contains("microdao:3d000008", "channel:general");
    assertThat(ids("/living-map/entities?status=idle")).containsExactly("agent:sofia");
    assertThat(ids("/living-map/entities?limit=2")).hasSize(2);
    assertThat(ids("/living-map/entities?limit=2&offset=4")).hasSize(1);
    assertThat(ids("/living-map/entities?q=sofia")).containsExactly("agent:sofia");
    assertThat(ids("/living-map/entities?sort=-id&limit=1")).containsExactly("node:03");
  }

  @Test
  void cursorPagingVisitsEveryEntityOnce() {
    List<String> all = ids("/living-map/entities?limit=500");
    List<String> paged = new java.util.ArrayList<>();
    String cursor = null;
    do {
      JsonObject page =
          http.get("/living-map/entities?limit=2" + (cursor == null ? "" : "&cursor=" + cursor))
              .json();
      page.getJsonArray("items").forEach(o -> paged.add(((JsonObject) o).getString("id")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    assertThat(paged).containsExactlyElementsOf(all);
  }

  @Test
  void facetsCountByTypeLayerAndStatus() {
    JsonObject f = http.get("/living-map/entities/facets").json();
    assertThat(f.getInteger("total")).isEqualTo(5);
    assertThat(f.getJsonObject("type").getInteger("node")).isEqualTo(1);
    assertThat(f.getJsonObject("layer").getInteger("city")).isEqualTo(2);
  }

  @Test
  void entityDetailAndUnknownEntity() {
    JsonObject d = http.get("/living-map/entities/agent:sofia").json();
    assertThat(d.getString("id")).isEqualTo("agent:sofia");
    assertThat(d.getString("type")).isEqualTo("agent");
    assertThat(d.getString("layer")).isEqualTo("agents");
    assertThat(d.getJsonObject("data").getString("status")).isEqualTo("idle");
    Http.Response missing = http.get("/living-map/entities/agent:nobody");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().getString("error")).isEqualTo("not_found");
  }

  @Test
  void badParametersAre400NamingTheParameter() {
    Map<String, String> cases =
        Map.of(
            "/living-map/entities?type=planet", "type",
            "/living-map/entities?layer=sky", "layer",
            "/living-map/entities?limit=0", "limit",
            "/living-map/entities?limit=501", "limit",
            "/living-map/entities?offset=-1", "offset",
            "/living-map/entities?limit=abc", "limit",
            "/living-map/entities?sort=colour", "sort",
            "/living-map/entities?cursor=bm90LWEtY3Vyc29y", "cursor",
            "/living-map/snapshot?at=yesterday", "at");
    cases.forEach(
        (path, param) -> {
          Http.Response r = http.get(path);
          assertThat(r.status()).as(path).isEqualTo(400);
          assertThat(r.json().getString("parameter")).as(path).isEqualTo(param);
        });
  }

  @Test
  void unknownRoutesAreJson404() {
    Http.Response r = http.get("/living-map/nothing-here");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().getString("error")).isEqualTo("not_found");
  }

  @Test
  void rootGivesServiceInfoToPrograms() {
    JsonObject info = http.get("/", "Accept", "application/json").json();
    assertThat(info.getString("service")).isEqualTo("living-map-service");
    assertThat(info.getJsonArray("endpoints")).contains("/living-map/snapshot");
  }

  private List<String> ids(String path) {
    Http.Response r = http.get(path);
    assertThat(r.status()).as(path + " " + r.body()).isEqualTo(200);
    return r.json().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("id"))
        .toList();
  }

  static JsonObject find(JsonObject snapshot, String layer, String id) {
    return snapshot.getJsonObject("layers").getJsonObject(layer).getJsonArray("items").stream()
        .map(JsonObject.class::cast)
        .filter(o -> id.equals(o.getString("id")))
        .findFirst()
        .orElseThrow();
  }
}
