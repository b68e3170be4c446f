package org.daarion.livingmap.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SimulatorHttpServerTest {
  static Vertx vertx;
  static SimulatedNetwork network;
  static FaultModes faults = new FaultModes();
  static SimulatorHttpServer server;
  static SimulatorHttpServer tokenServer;
  static HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    network = SimulatedNetwork.generate(42, 12, 5, 60, 200, 24, java.time.Clock.systemUTC());
    // Let the network live a little so usage, events and proposals are populated.
    new SimulatorEventSource(network, new RecordingBus(false), 42, "http").tick(3000);
    server = new SimulatorHttpServer(vertx, network, faults, Optional.empty(), "127.0.0.1", 0);
    tokenServer =
        new SimulatorHttpServer(
            vertx, network, new FaultModes(), Optional.of("s3cret"), "127.0.0.1", 0);
    server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    tokenServer.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(server.port()).isPositive();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    tokenServer.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void clearFaults() {
    faults.clear();
  }

  static HttpRequest request(SimulatorHttpServer s, String path, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
            .timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b.GET().build();
  }

  static HttpResponse<String> get(String path, String... headers)
      throws IOException, InterruptedException {
    return client.send(request(server, path, headers), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String path, String... headers) throws Exception {
    HttpResponse<String> r = get(path, headers);
    assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    return Shapes.parse(r.body());
  }

  static final String[] BEARER = {"Authorization", "Bearer any-token"};

  // ---- shapes ----

  @Test
  void cityServiceShapes() throws Exception {
    Shapes.assertSameShape(
        "snapshot",
        Shapes.fixture("upstream/city-service__api_city_snapshot.json"),
        json("/api/city/snapshot"));
    JsonNode microdaos = json("/city/microdao");
    assertThat(microdaos.size()).isEqualTo(12);
    Shapes.assertSameShape(
        "city/microdao", Shapes.fixture("upstream/city-service__city_microdao.json"), microdaos);
    JsonNode nodes = json("/public/nodes");
    assertThat(nodes.get("total").asInt()).isEqualTo(60).isEqualTo(nodes.get("items").size());
    Shapes.assertSameShape(
        "public/nodes", Shapes.fixture("upstream/city-service__public_nodes.json"), nodes);
  }

  @Test
  void spaceServiceShapes() throws Exception {
    JsonNode planets = json("/space/planets");
    assertThat(planets.size()).isEqualTo(5);
    Shapes.assertSameShape(
        "planets", Shapes.fixture("upstream/space-service__space_planets.json"), planets);
    int satellites = 0;
    for (JsonNode p : planets) {
      satellites += p.get("satellites").size();
      assertThat(p.get("node_count").asInt()).isEqualTo(p.get("satellites").size());
    }
    assertThat(satellites).isEqualTo(60);

    JsonNode nodes = json("/space/nodes");
    assertThat(nodes.size()).isEqualTo(60);
    Shapes.assertSameShape(
        "space/nodes", Shapes.fixture("upstream/space-service__space_nodes.json"), nodes);
    assertThat(nodes.get(0).get("node_id").asText()).matches("node:(gpu|cpu)-\\d+");
    assertThat(nodes.get(0).get("microdao").asText()).startsWith("microdao:");

    JsonNode events = json("/space/events");
    JsonNode fixture = Shapes.fixture("upstream/space-service__space_events.json");
    for (JsonNode expected : fixture) {
      JsonNode same = null;
      for (JsonNode e : events) {
        if (e.get("type").equals(expected.get("type"))) {
          same = e;
          break;
        }
      }
      assertThat(same).as(expected.get("type").asText()).isNotNull();
      Shapes.assertSameShape("space/events", expected, same);
    }
  }

  @Test
  void agentsServiceShapesAndFilters() throws Exception {
    JsonNode fixture = Shapes.fixture("upstream/agents-service__agents.json");
    JsonNode active = json("/agents");
    JsonNode all = json("/agents?is_active=false");
    Shapes.assertSameShape("agents", fixture, active);
    assertThat(all.size()).isEqualTo(200).isGreaterThan(active.size());
    for (JsonNode a : active) {
      assertThat(a.get("is_active").asBoolean()).isTrue();
    }
    JsonNode sofia = json("/agents/agent:sofia");
    Shapes.assertSameShape("agents/{id}", fixture.get(2), sofia);
    assertThat(sofia.get("id").asText()).isEqualTo("a9000007-0000-4000-8000-000000000001");
    assertThat(json("/agents/" + sofia.get("id").asText())).isEqualTo(sofia);
    assertThat(sofia.get("microdao_id").asText())
        .isEqualTo(
            json("/microdao", BEARER).findValuesAsText("id").stream()
                .filter(id -> id.equals(sofia.get("microdao_id").asText()))
                .findFirst()
                .orElse("missing"));
    assertThat(get("/agents/agent:nobody").statusCode()).isEqualTo(404);
  }

  @Test
  void microdaoAndDaoServiceShapes() throws Exception {
    JsonNode microdaos = json("/microdao", BEARER);
    Shapes.assertSameShape(
        "microdao", Shapes.fixture("upstream/microdao-service__microdao.json"), microdaos);
    assertThat(microdaos.findValuesAsText("external_id")).contains("microdao:daarion");
    JsonNode daos = json("/dao", BEARER);
    Shapes.assertSameShape("dao", Shapes.fixture("upstream/dao-service__dao.json"), daos);
    assertThat(daos.findValuesAsText("slug")).contains("daarion-governance");
    JsonNode overview = json("/dao/daarion-governance", BEARER);
    Shapes.assertSameShape(
        "dao/{slug}", Shapes.fixture("upstream/dao-service__dao_slug.json"), overview);
    assertThat(overview.get("treasury_items").get(0).get("balance").asText())
        .matches("\\d+\\.\\d{8}");
    assertThat(get("/dao/no-such-dao", BEARER).statusCode()).isEqualTo(404);
  }

  @Test
  void usageEngineShapes() throws Exception {
    JsonNode summary = json("/internal/usage/summary?period_hours=24");
    Shapes.assertSameShape(
        "usage/summary",
        Shapes.fixture("upstream/usage-engine__internal_usage_summary.json"),
        summary);
    JsonNode agents = json("/internal/usage/agents");
    Shapes.assertSameShape(
        "usage/agents",
        Shapes.fixture("upstream/usage-engine__internal_usage_agents.json"),
        agents);
    assertThat(agents.get("agents")).isEqualTo(summary.get("agents"));
    assertThat(get("/internal/usage/summary?period_hours=abc").statusCode()).isEqualTo(422);
  }

  // ---- auth and absent paths ----

  @Test
  void bearerTokenIsRequiredOnMicrodaoAndDao() throws Exception {
    JsonNode unauthorized = Shapes.fixture("upstream/microdao-service__unauthorized.json");
    for (String path : new String[] {"/microdao", "/dao", "/dao/daarion-governance"}) {
      HttpResponse<String> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(Shapes.parse(r.body())).isEqualTo(unauthorized);
      assertThat(get(path, "Authorization", "Bearer ").statusCode()).isEqualTo(401);
      assertThat(get(path, "Authorization", "Basic abc").statusCode()).isEqualTo(401);
      assertThat(get(path, BEARER).statusCode()).as(path).isEqualTo(200);
    }
  }

  @Test
  void aConfiguredTokenIsTheOnlyOneAccepted() throws Exception {
    HttpResponse<String> wrong =
        client.send(
            request(tokenServer, "/microdao", "Authorization", "Bearer other"),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> right =
        client.send(
            request(tokenServer, "/dao", "Authorization", "Bearer s3cret"),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(right.statusCode()).isEqualTo(200);
  }

  @Test
  void pathsAbsentInDaarionAre404() throws Exception {
    for (String path :
        new String[] {
          "/api/space/scene", "/agents/metrics/summary", "/internal/microdaos", "/nope", "/"
        }) {
      HttpResponse<String> r = get(path, BEARER);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.body()).isEqualTo("{\"detail\":\"Not Found\"}");
    }
  }

  // ---- faults ----

  @Test
  void slowDelaysTheResponse() throws Exception {
    assertThat(get("/space/nodes").statusCode()).isEqualTo(200); // warm up
    faults.set("space-service", Fault.slow(Duration.ofMillis(300)));
    long start = System.nanoTime();
    HttpResponse<String> r = get("/space/nodes");
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(millis).isGreaterThanOrEqualTo(300);
    assertThat(Shapes.parse(r.body()).size()).isEqualTo(60);
  }

  @Test
  void aSlowSourceDoesNotBlockTheOthers() throws Exception {
    faults.set("space-service", Fault.slow(Duration.ofMillis(2000)));
    CompletableFuture<HttpResponse<String>> slow =
        client.sendAsync(request(server, "/space/planets"), HttpResponse.BodyHandlers.ofString());
    for (int i = 0; i < 3; i++) {
      assertThat(get("/agents").statusCode()).isEqualTo(200);
    }
    assertThat(slow).isNotDone();
    assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @Test
  void errorAnswersTheConfiguredStatus() throws Exception {
    faults.set("city-service", Fault.of(Fault.Mode.ERROR));
    assertThat(get("/api/city/snapshot").statusCode()).isEqualTo(500);
    faults.set("city-service", Fault.error(503));
    HttpResponse<String> r = get("/public/nodes");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(Shapes.parse(r.body()).get("detail").asText()).isEqualTo("Service Unavailable");
    assertThat(get("/agents").statusCode()).isEqualTo(200);
  }

  @Test
  void garbageIsNotJson() throws Exception {
    faults.set("usage-engine", Fault.garbage());
    HttpResponse<String> r = get("/internal/usage/agents");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> Shapes.MAPPER.readTree(r.body()))
        .isInstanceOf(JsonProcessingException.class);
  }

  @Test
  void wrongShapeIsValidJsonOfAnotherShape() throws Exception {
    faults.set("agents-service", Fault.wrongShape());
    JsonNode list = json("/agents");
    assertThat(list.isObject()).isTrue();
    assertThat(list.get("results").isArray()).isTrue();
    faults.set("city-service", Fault.wrongShape());
    JsonNode snapshot = json("/api/city/snapshot");
    assertThat(snapshot.has("nodes")).isFalse();
    assertThat(snapshot.get("x_nodes").get(0).has("x_gpuLoad")).isTrue();
  }

  @Test
  void refusedClosesTheConnection() {
    faults.set("dao-service", Fault.refused());
    assertThatThrownBy(() -> get("/dao", BEARER)).isInstanceOf(IOException.class);
  }

  @Test
  void flappingAlternatesOkAndError() throws Exception {
    faults.set("microdao-service", Fault.flapping(1));
    int[] statuses = new int[4];
    for (int i = 0; i < 4; i++) {
      statuses[i] = get("/microdao", BEARER).statusCode();
    }
    assertThat(statuses).containsExactly(200, 503, 200, 503);
    faults.set("microdao-service", Fault.flapping(2));
    for (int i = 0; i < 4; i++) {
      statuses[i] = get("/microdao", BEARER).statusCode();
    }
    assertThat(statuses).containsExactly(200, 200, 503, 503);
  }

  @Test
  void faultsAreControlledOverHttp() throws Exception {
    HttpResponse<String> put =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/_sim/faults/space-service"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"mode\":\"error\",\"status\":503}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(get("/space/planets").statusCode()).isEqualTo(503);
    JsonNode all = json("/_sim/faults");
    assertThat(all.get("space-service").get("mode").asText()).isEqualTo("error");
    assertThat(all.get("city-service").get("mode").asText()).isEqualTo("none");
    assertThat(all.size()).isEqualTo(6);

    HttpResponse<String> bad =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/_sim/faults/nope"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"mode\":\"error\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    HttpResponse<String> badMode =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/_sim/faults/city-service"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"mode\":\"explode\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(badMode.statusCode()).isEqualTo(400);
  }

  @Test
  void anEntityRemovedFromTheModelDisappearsUpstream() throws Exception {
    SimulatedNetwork net =
        SimulatedNetwork.generate(9, 3, 2, 5, 10, 3, java.time.Clock.systemUTC());
    SimulatorHttpServer s =
        new SimulatorHttpServer(vertx, net, new FaultModes(), Optional.empty(), "127.0.0.1", 0);
    s.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      HttpResponse<String> before =
          client.send(request(s, "/agents?is_active=false"), HttpResponse.BodyHandlers.ofString());
      assertThat(before.body()).contains("\"agent:alex\"");
      assertThat(net.removeAgent("agent:alex")).isTrue();
      HttpResponse<String> after =
          client.send(request(s, "/agents?is_active=false"), HttpResponse.BodyHandlers.ofString());
      assertThat(after.body()).doesNotContain("\"agent:alex\"");

      String node = net.nodeIds().get(0);
      HttpResponse<String> deleted =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + s.port() + "/_sim/nodes/" + node))
                  .DELETE()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(deleted.statusCode()).isEqualTo(200);
      HttpResponse<String> nodes =
          client.send(request(s, "/space/nodes"), HttpResponse.BodyHandlers.ofString());
      assertThat(nodes.body()).doesNotContain("\"" + node + "\"");
      assertThat(Shapes.parse(nodes.body()).size()).isEqualTo(4);

      String added = net.addNode("gpu-99", true, "daarion", net.daoSlugs().get(0));
      HttpResponse<String> withNew =
          client.send(request(s, "/space/nodes"), HttpResponse.BodyHandlers.ofString());
      assertThat(withNew.body()).contains("\"" + added + "\"");
    } finally {
      s.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
