package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.Test;

/** Per-layer visibility by role holds on every route that lists entities, not only the snapshot. */
class LayerVisibilityTest {
  private static String sha256(String key) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aReaderWithoutTheAgentsRoleSeesNoAgentsAnywhere() throws Exception {
    String keys =
        "reader:"
            + sha256("reader-key")
            + ",ops:"
            + sha256("ops-key")
            + ":living-map:read|living-map:ops";
    try (Application app =
        TestApps.start(
            TestApps.config(
                Map.of(
                    "LIVING_MAP_SIMULATOR", "off",
                    "LIVING_MAP_AUTH", "apikey",
                    "LIVING_MAP_API_KEYS", keys,
                    "LIVING_MAP_LAYER_ROLES", "agents=living-map:ops")))) {
      Http http = new Http(app.port());
      app.bus()
          .publish(
              "agent.event.status",
              "{\"agent_id\":\"agent:sofia\",\"status\":\"online\"}"
                  .getBytes(StandardCharsets.UTF_8),
              null);
      app.bus()
          .publish(
              "node.metrics.n1",
              "{\"node_id\":\"n1\",\"cpu\":0.5}".getBytes(StandardCharsets.UTF_8),
              null);
      await()
          .until(
              () ->
                  http.get("/living-map/history", "X-API-Key", "ops-key").json().getLong("total")
                      == 2);

      String[] reader = {"X-API-Key", "reader-key"};
      String[] ops = {"X-API-Key", "ops-key"};
      assertThat(ids(http.get("/living-map/entities", reader))).containsExactly("node:n1");
      assertThat(ids(http.get("/living-map/entities", ops)))
          .containsExactly("agent:sofia", "node:n1");
      assertThat(http.get("/living-map/entities/agent:sofia", reader).status()).isEqualTo(404);
      assertThat(http.get("/living-map/entities/agent:sofia", ops).status()).isEqualTo(200);
      assertThat(
              http.get("/living-map/entities/facets", reader)
                  .json()
                  .getJsonObject("layer")
                  .containsKey("agents"))
          .isFalse();
      assertThat(http.get("/living-map/history", reader).json().getJsonArray("items")).hasSize(1);
      assertThat(
              http.get("/living-map/history", reader)
                  .json()
                  .getJsonArray("items")
                  .getJsonObject(0)
                  .getString("entity_type"))
          .isEqualTo("node");
      assertThat(http.get("/living-map/history", ops).json().getJsonArray("items")).hasSize(2);
      assertThat(
              http.get("/living-map/graph", reader).json().getJsonArray("nodes").stream()
                  .map(o -> ((JsonObject) o).getString("id")))
          .doesNotContain("agent:sofia");
      assertThat(http.get("/living-map/entities").status()).isEqualTo(401);
    }
  }

  private static List<String> ids(Http.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("id"))
        .toList();
  }
}
