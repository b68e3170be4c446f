package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Public mode (anonymous reduced snapshot) and per-layer visibility by role. */
class SecurityPublicModeTest {
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        new TestServer(
            TestServer.env(
                "LIVING_MAP_AUTH", "jwt",
                "LIVING_MAP_JWT_SECRET", Tokens.SECRET,
                "LIVING_MAP_PUBLIC_MODE", "true",
                "LIVING_MAP_LAYER_ROLES", "nodes=living-map:ops",
                "LIVING_MAP_RATE_LIMIT", "off"),
            false);
    server.seed();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void anonymousCallersGetTheReducedSnapshotOnly() {
    var r = server.get("/living-map/snapshot");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getBoolean("public")).isTrue();
    JsonObject agents = body.getJsonObject("layers").getJsonObject("agents");
    assertThat(agents.getInteger("items_count")).isGreaterThanOrEqualTo(1);
    assertThat(agents.getJsonObject("items_by_status").getInteger("online"))
        .isGreaterThanOrEqualTo(1);
    // Anonymous callers see no more than a reader: not even the counts of a restricted layer.
    assertThat(body.getJsonObject("layers").fieldNames()).doesNotContain("nodes");
    assertThat(r.body())
        .doesNotContain("gpu-1")
        .doesNotContain("sofia")
        .doesNotContain("\"items\"");
    assertThat(body.getJsonObject("meta").fieldNames()).containsOnly("generated_at", "version");
    // health is public too; everything else is not
    assertThat(server.get("/living-map/health").statusCode()).isEqualTo(200);
    assertThat(server.get("/living-map/entities").statusCode()).isEqualTo(401);
    assertThat(server.get("/living-map/entities/node:gpu-1").statusCode()).isEqualTo(401);
    assertThat(server.get("/living-map/snapshot?at=2024-01-01T00:00:00Z").statusCode())
        .isEqualTo(401);
  }

  @Test
  void badCredentialsAreRefusedEvenInPublicMode() {
    var r = server.get("/living-map/snapshot", "Authorization", "Bearer junk");
    assertThat(r.statusCode()).isEqualTo(401);
  }

  @Test
  void aReaderWithoutTheLayerRoleDoesNotSeeThatLayer() {
    String reader = Tokens.hs256(Tokens.reader());
    JsonObject s =
        new JsonObject(
            server.get("/living-map/snapshot", "Authorization", "Bearer " + reader).body());
    assertThat(s.getJsonObject("layers").fieldNames()).doesNotContain("nodes").contains("agents");
    assertThat(s.getJsonObject("meta").getJsonArray("hidden_layers").getList())
        .containsExactly("nodes");

    String ops =
        Tokens.hs256(
            Tokens.claims("ops", Instant.now().plusSeconds(600), Principal.READ, "living-map:ops"));
    var full = server.get("/living-map/snapshot", "Authorization", "Bearer " + ops);
    assertThat(full.headers().firstValue("ETag")).isPresent();
    assertThat(new JsonObject(full.body()).getJsonObject("layers").fieldNames()).contains("nodes");
  }

  @Test
  void layerPolicyFiltersByRole() {
    LayerPolicy policy = new LayerPolicy(java.util.Map.of("nodes", java.util.List.of("ops")));
    Principal reader =
        new Principal("u", java.util.Set.of(Principal.READ), null, Principal.Method.JWT);
    Principal admin =
        new Principal("a", java.util.Set.of(Principal.ADMIN), null, Principal.Method.JWT);
    assertThat(policy.canSee(reader, "nodes")).isFalse();
    assertThat(policy.canSee(reader, "city")).isTrue();
    assertThat(policy.canSee(admin, "nodes")).isTrue();
    assertThat(policy.canSee(Principal.LOCAL, "nodes")).isTrue();
    assertThat(policy.visible(reader).test("nodes")).isFalse();
  }
}
