package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.simulator.Simulator;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.Test;

/**
 * The production shape, as docker-compose runs it: the simulator alone ({@code living-map
 * simulate}) serves the six upstream services over HTTP and publishes to a real nats-server; the
 * service is configured only by the contract's variables (NATS_URL and the six *_URL), no simulator
 * of its own.
 */
class ProductionTopologyTest {
  @Test
  void theServiceFedByNatsAndRealUpstreamUrlsFillsEveryLayerAndMoves() throws Exception {
    try (NatsServerProcess nats = NatsServerProcess.start()) {
      Config simConfig =
          Config.of(
              Map.of(
                  "NATS_URL", nats.url(),
                  "LIVING_MAP_SIM_PORT", "0",
                  "LIVING_MAP_HOST", "127.0.0.1",
                  "LIVING_MAP_SIM_RATE", "50"));
      NatsPublisher publisher = NatsPublisher.connect(nats.url());
      Simulator sim = Simulator.runStandalone(simConfig, publisher);
      try {
        Map<String, String> env = new HashMap<>();
        env.put("NATS_URL", nats.url());
        env.put("LIVING_MAP_UPSTREAM_TOKEN", sim.serviceToken());
        for (UpstreamSource s : UpstreamSource.values()) {
          env.put(s.setting().env(), sim.baseUrl());
        }
        Config config = TestApps.config(env);
        assertThat(config.simulatorEnabled()).isFalse();
        try (Application app = TestApps.start(config)) {
          Http http = new Http(app.port());
          await()
              .atMost(Duration.ofSeconds(30))
              .untilAsserted(
                  () -> {
                    JsonObject layers =
                        http.get("/living-map/snapshot").json().getJsonObject("layers");
                    assertThat(layers.getJsonObject("city").getJsonArray("items")).isNotEmpty();
                    assertThat(layers.getJsonObject("space").getJsonArray("planets")).isNotEmpty();
                    assertThat(layers.getJsonObject("nodes").getJsonArray("items")).isNotEmpty();
                    assertThat(layers.getJsonObject("agents").getJsonArray("items")).isNotEmpty();
                  });
          long seq = http.get("/living-map/snapshot").json().getLong("seq");
          await()
              .atMost(Duration.ofSeconds(20))
              .until(() -> http.get("/living-map/snapshot").json().getLong("seq") > seq + 20);
          JsonObject health = http.get("/living-map/health").json();
          assertThat(health.getJsonObject("checks").getJsonObject("nats").getString("status"))
              .isEqualTo("ok");
          JsonObject sources = http.get("/living-map/sources").json();
          for (UpstreamSource s : UpstreamSource.values()) {
            assertThat(sources.getJsonObject(s.serviceName()).getString("state"))
                .as(s.serviceName())
                .isEqualTo("ok");
          }
          await()
              .untilAsserted(
                  () ->
                      assertThat(
                              http.get("/living-map/history?event_type=node.metrics.*&limit=1")
                                  .json()
                                  .getJsonArray("items"))
                          .isNotEmpty());
        }
      } finally {
        sim.stop().toCompletionStage().toCompletableFuture().join();
        publisher.close();
      }
    }
  }
}
