package org.daarion.livingmap.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.config.Config;
import org.junit.jupiter.api.Test;

class SimulatorTest {
  static final Config CONFIG =
      Config.of(
          Map.of(
              "LIVING_MAP_SIM_PORT", "0",
              "LIVING_MAP_HOST", "127.0.0.1",
              "LIVING_MAP_SIM_RATE", "100"));

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1)
        .build()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void createdOnAVertxItServesAndPublishesUntilStopped() throws Exception {
    Vertx vertx = Vertx.vertx();
    RecordingBus bus = new RecordingBus(false);
    Simulator sim = Simulator.create(CONFIG, vertx, bus);
    try {
      assertThat(sim.httpPort()).isEqualTo(-1);
      int port = sim.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(sim.httpPort()).isEqualTo(port).isPositive();
      assertThat(sim.baseUrl()).isEqualTo("http://127.0.0.1:" + port);
      await().atMost(Duration.ofSeconds(10)).until(() -> bus.count() >= 50);
      assertThat(get(port, "/agents").statusCode()).isEqualTo(200);
      assertThat(sim.network().agentIds()).hasSize(200).contains("agent:sofia");
      assertThat(sim.network().microdaoIds()).hasSize(12).contains("microdao:daarion");
      assertThat(sim.network().daoSlugs()).hasSize(5).contains("daarion-governance");
      assertThat(sim.network().nodeIds()).hasSize(60);
      assertThat(sim.serviceToken()).isEqualTo("simulator");
      HttpResponse<String> microdaos =
          HttpClient.newBuilder()
              .version(java.net.http.HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/microdao"))
                      .header("Authorization", "Bearer " + sim.serviceToken())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(microdaos.statusCode()).isEqualTo(200);
      sim.faults().set("agents-service", Fault.error(503));
      assertThat(get(port, "/agents").statusCode()).isEqualTo(503);
      assertThat(
              Shapes.parse(get(port, "/api/city/snapshot").body()).at("/metrics/natsTps").asInt())
          .isEqualTo(100);
    } finally {
      sim.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertThat(sim.events().isRunning()).isFalse();
    long after = bus.count();
    assertThat(sim.events().published()).isEqualTo(after);
  }

  @Test
  void standaloneOwnsItsVertx() throws Exception {
    RecordingBus bus = new RecordingBus(false);
    Simulator sim = Simulator.runStandalone(CONFIG, bus);
    try {
      assertThat(sim.httpPort()).isPositive();
      assertThat(get(sim.httpPort(), "/space/planets").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> bus.count() > 0);
    } finally {
      sim.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void sameSeedSameNetworkOverHttpViews() {
    SimulatedNetwork a = SimulatedNetwork.generate(CONFIG, Clock.systemUTC());
    SimulatedNetwork b = SimulatedNetwork.generate(CONFIG, Clock.systemUTC());
    UpstreamViews va = new UpstreamViews(a);
    UpstreamViews vb = new UpstreamViews(b);
    assertThat(a.locked(() -> va.agents(true, null, null)).toString())
        .isEqualTo(b.locked(() -> vb.agents(true, null, null)).toString());
  }
}
