package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.daarion.livingmap.event.Subject;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StreamFilterTest {
  private StreamTestServer server;

  @BeforeEach
  void start() throws Exception {
    server = StreamTestServer.start();
    for (int n = 1; n <= 3; n++) {
      server.nodeMetrics(n, 0.1 * n);
    }
    server.agentStatus("sofia", "online");
    server.agentStatus("helion", "idle");
    server.settle();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  private void mixedTraffic() {
    for (int i = 0; i < 30; i++) {
      server.nodeMetrics(i % 3 + 1, i / 30.0);
      server.agentStatus(i % 2 == 0 ? "sofia" : "helion", i % 3 == 0 ? "online" : "idle");
      server.publish(
          "city.event.alert",
          new JsonObject().put("type", "alert").put("severity", "warn").put("label", "x" + i));
    }
  }

  private static List<JsonObject> events(List<JsonObject> frames) {
    return frames.stream().filter(f -> "event".equals(f.getString("kind"))).toList();
  }

  private static JsonObject layers(LivingMapStreamClient c) {
    return c.lastSnapshot().getJsonObject("layers");
  }

  @Test
  void patternsFollowNatsWildcards() {
    assertThat(Subject.parse("node.metrics.*").matches("node.metrics.n1")).isTrue();
    assertThat(Subject.parse("node.metrics.*").matches("node.metrics.n1.x")).isFalse();
    assertThat(Subject.parse("node.metrics.*").matches("node.metrics")).isFalse();
    assertThat(Subject.parse("node.>").matches("node.metrics.n1")).isTrue();
    assertThat(Subject.parse("node.>").matches("node")).isFalse();
    assertThat(Subject.parse("*.event.*").matches("dao.event.created")).isTrue();
    assertThat(Subject.parse("usage.llm").matches("usage.llm")).isTrue();
    assertThat(Subject.parse("usage.llm").matches("usage.llm.x")).isFalse();
    assertThat(Subject.parse(">").matches("a.b")).isTrue();
    for (String bad : List.of("", "a..b", "a.>.b", "a.b*", "a. b", ".a")) {
      assertThatThrownBy(() -> Subject.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void layerFilterAtConnectFiltersTheSnapshotAndTheEvents() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    try (LivingMapStreamClient c =
        server.connected(
            new LivingMapStreamClient.Options().param("layers", "nodes").onFrame(frames::add))) {
      JsonObject l = layers(c);
      assertThat(l.getJsonObject("nodes").getJsonArray("items")).hasSize(3);
      assertThat(l.getJsonObject("agents").getJsonArray("items")).isEmpty();
      assertThat(l.getJsonObject("agents").getInteger("total_agents")).isEqualTo(2);
      assertThat(l.getJsonObject("space").getJsonArray("planets")).isEmpty();
      assertThat(l.getJsonObject("space").getJsonArray("nodes")).isEmpty();
      assertThat(l.getJsonObject("city").getJsonArray("items")).isEmpty();
      mixedTraffic();
      long end = server.settle();
      await().atMost(Duration.ofSeconds(10)).until(() -> events(frames).size() == 30);
      assertThat(events(frames))
          .allMatch(f -> f.getString("event_type").startsWith("node.metrics."));
      // Nothing else arrives after the nodes' 30: the last node event is seq end - 2.
      assertThat(c.lastSeq()).isEqualTo(end - 2);
    }
  }

  @Test
  void typeEntityAndEventFiltersAtConnect() throws Exception {
    List<JsonObject> byEntity = new CopyOnWriteArrayList<>();
    List<JsonObject> byPattern = new CopyOnWriteArrayList<>();
    List<JsonObject> byType = new CopyOnWriteArrayList<>();
    try (LivingMapStreamClient a =
            server.connected(
                new LivingMapStreamClient.Options()
                    .param("entities", "node:n2,agent:sofia")
                    .onFrame(byEntity::add));
        LivingMapStreamClient b =
            server.connected(
                new LivingMapStreamClient.Options()
                    .param("events", "agent.event.*,city.>")
                    .onFrame(byPattern::add));
        LivingMapStreamClient t =
            server.connected(
                new LivingMapStreamClient.Options().param("types", "agent").onFrame(byType::add))) {
      assertThat(layers(a).getJsonObject("nodes").getJsonArray("items"))
          .extracting(o -> ((JsonObject) o).getString("id"))
          .containsExactly("node:n2");
      assertThat(layers(a).getJsonObject("agents").getJsonArray("items"))
          .extracting(o -> ((JsonObject) o).getString("id"))
          .containsExactly("agent:sofia");
      assertThat(layers(t).getJsonObject("agents").getJsonArray("items")).hasSize(2);
      assertThat(layers(t).getJsonObject("nodes").getJsonArray("items")).isEmpty();
      assertThat(layers(b).getJsonObject("nodes").getJsonArray("items")).hasSize(3);
      mixedTraffic();
      server.settle();
      await().atMost(Duration.ofSeconds(10)).until(() -> events(byEntity).size() == 25);
      await().atMost(Duration.ofSeconds(10)).until(() -> events(byPattern).size() == 60);
      await().atMost(Duration.ofSeconds(10)).until(() -> events(byType).size() == 30);
      assertThat(events(byEntity))
          .allMatch(f -> List.of("node:n2", "agent:sofia").contains(f.getString("entity_id")));
      assertThat(events(byPattern))
          .allMatch(
              f ->
                  f.getString("event_type").startsWith("agent.event.")
                      || f.getString("event_type").startsWith("city."));
      assertThat(events(byType)).allMatch(f -> f.getString("entity_type").equals("agent"));
    }
  }

  @Test
  void subscribeAndUnsubscribeChangeTheFilterWithAFreshSnapshot() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    try (LivingMapStreamClient c =
        server.connected(
            new LivingMapStreamClient.Options().param("layers", "agents").onFrame(frames::add))) {
      c.send(new JsonObject().put("op", "subscribe").put("layers", new JsonArray().add("nodes")));
      await().atMost(Duration.ofSeconds(10)).until(() -> c.snapshotReasons().size() == 2);
      assertThat(c.snapshotReasons()).containsExactly(null, "subscribe");
      JsonObject sub =
          frames.stream()
              .filter(f -> "subscribed".equals(f.getString("kind")))
              .findFirst()
              .orElseThrow();
      assertThat(sub.getJsonObject("filter").getJsonArray("layers"))
          .containsExactly("agents", "nodes");
      assertThat(layers(c).getJsonObject("nodes").getJsonArray("items")).hasSize(3);
      assertThat(layers(c).getJsonObject("agents").getJsonArray("items")).hasSize(2);
      mixedTraffic();
      server.settle();
      await().atMost(Duration.ofSeconds(10)).until(() -> events(frames).size() == 60);

      frames.clear();
      c.send(new JsonObject().put("op", "unsubscribe").put("layers", "agents"));
      await().atMost(Duration.ofSeconds(10)).until(() -> c.snapshotReasons().size() == 3);
      assertThat(layers(c).getJsonObject("agents").getJsonArray("items")).isEmpty();
      mixedTraffic();
      server.settle();
      await().atMost(Duration.ofSeconds(10)).until(() -> events(frames).size() == 30);
      assertThat(events(frames)).allMatch(f -> f.getString("entity_type").equals("node"));

      c.send(new JsonObject().put("op", "subscribe").put("layers", new JsonArray().add("moon")));
      await().atMost(Duration.ofSeconds(10)).until(() -> !c.errors().isEmpty());
      assertThat(c.errors().get(0).getString("parameter")).isEqualTo("layers");
      assertThat(c.errors().get(0).getInteger("code")).isEqualTo(400);
    }
  }

  @Test
  void invalidFilterAtConnectIsRefusedWith400NamingTheParameter() throws Exception {
    for (String[] bad :
        new String[][] {
          {"layers=moon", "layers"},
          {"types=planet", "types"},
          {"events=node.%3E.x", "events"},
          {"since_seq=abc&epoch=e1", "since_seq"},
          {"since_seq=3", "epoch"},
          {"max_rate=5", "max_rate"}
        }) {
      try (RawWebSocket ws = new RawWebSocket(server.port, bad[0], 65536)) {
        assertThat(ws.status).as(bad[0]).isEqualTo("HTTP/1.1 400 Bad Request");
        JsonObject body = new JsonObject(ws.body());
        assertThat(body.getString("parameter")).as(bad[0]).isEqualTo(bad[1]);
        assertThat(body.getInteger("code")).isEqualTo(400);
        assertThat(body.getString("error")).isNotBlank();
      }
    }
    assertThat(server.hub.stats().rejectedBadRequest()).isEqualTo(6);
    assertThat(server.hub.stats().connections()).isZero();
  }
}
