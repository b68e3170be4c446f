package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.junit.jupiter.api.Test;

/** The composition root wires Security and Metrics: auth applies and /metrics shows the state. */
class SecurityApplicationTest {
  @Test
  void theAssembledServiceEnforcesAuthAndExposesMetrics() throws Exception {
    Config config =
        Config.of(
            Map.of(
                "PORT", "0",
                "LIVING_MAP_HOST", "127.0.0.1",
                "LIVING_MAP_SIMULATOR", "off",
                "LIVING_MAP_AUTH", "jwt",
                "LIVING_MAP_JWT_SECRET", Tokens.SECRET));
    Application app = Application.start(config).toCompletionStage().toCompletableFuture().get();
    try {
      HttpClient http =
          HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + app.port();
      HttpResponse<String> anonymous =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/living-map/entities")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(401);
      String token = "Bearer " + Tokens.hs256(Tokens.reader());
      HttpResponse<String> metrics =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics"))
                  .header("Authorization", token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body())
          .contains(
              "living_map_state_entities",
              "living_map_state_queue_depth",
              "living_map_auth_failures_total");
      assertThat(app.security().authenticator().enabled()).isTrue();
    } finally {
      app.close();
    }
  }
}
