package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** /metrics after real requests: HTTP latency by route template and status, bounded labels. */
class MetricsEndpointTest {
  @Test
  void httpMetricsUseRouteTemplatesNotRawPaths() throws Exception {
    try (TestServer s =
        new TestServer(
            TestServer.env(
                "LIVING_MAP_AUTH", "jwt",
                "LIVING_MAP_JWT_SECRET", Tokens.SECRET,
                "LIVING_MAP_METRICS_OPEN", "true"),
            false)) {
      s.seed();
      String token = "Bearer " + Tokens.hs256(Tokens.reader());
      for (int i = 0; i < 5; i++) {
        s.get("/living-map/entities/node:gpu-1", "Authorization", token);
        s.get("/living-map/entities/unknown-" + i, "Authorization", token);
      }
      s.get("/living-map/entities");
      s.get("/living-map/no-such-route-" + System.nanoTime(), "Authorization", token);
      var r = s.get("/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      String text = r.body();
      assertThat(text)
          .contains(
              "living_map_http_server_requests_seconds_count{method=\"GET\",route=\"/living-map/entities/:id\",status=\"200\"} 5",
              "living_map_http_server_requests_seconds_count{method=\"GET\",route=\"/living-map/entities/:id\",status=\"404\"} 5",
              "status=\"401\"",
              "living_map_auth_failures_total{reason=\"unauthorized\"} 1.0",
              "route=\"/living-map/*\"",
              "living_map_http_server_requests_seconds_bucket",
              "jvm_memory_used_bytes",
              "process_uptime_seconds");
      assertThat(text).doesNotContain("unknown-3").doesNotContain("no-such-route");
    }
  }
}
