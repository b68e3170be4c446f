package org.daarion.livingmap.source.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The poller wired to the real state owner and snapshot service, as Main wires them: the layers
 * fill from the fixtures, two sources describing one entity do not fight, and a failing source
 * keeps its layer while the others update.
 */
class UpstreamStateIntegrationTest {
  Vertx vertx;
  FakeUpstream fake;
  StateOwner owner;
  PollerHarness h;
  SnapshotService snapshots;
  ExecutorService executor;
  final List<Event> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    fake = new FakeUpstream(vertx);
    PollerHarness.warmUp(vertx, fake);
    owner = new StateOwner(new LiveState("test", 0), 10_000, Clock.systemUTC());
    owner.addSink(events::addAll);
    owner.start();
    h = new PollerHarness(vertx, fake, Optional.of("secret"), b -> b.intake(owner));
    executor = Executors.newSingleThreadExecutor();
    snapshots =
        new SnapshotService(
            owner,
            executor,
            () ->
                new JsonObject()
                    .put("source_services", new JsonArray(h.poller.sourceServices()))
                    .put("sources", h.poller.sourcesJson()));
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
    owner.close();
    executor.shutdownNow();
    fake.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Polls everything and waits until the state owner applied what the polls sent. */
  void round() throws Exception {
    h.pollNow();
    owner.cut().get(10, TimeUnit.SECONDS);
  }

  JsonObject snapshot() throws Exception {
    return snapshots.current().get(10, TimeUnit.SECONDS).json();
  }

  static JsonObject item(JsonArray items, String id) {
    return items.stream()
        .map(o -> (JsonObject) o)
        .filter(o -> id.equals(o.getString("id")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + id + " in " + items.encode()));
  }

  long updates() {
    return events.stream().filter(e -> e.eventType().equals("living_map.entity.updated")).count();
  }

  @Test
  void layersFillResolvedAndStableAcrossPolls() throws Exception {
    round();
    round();
    JsonObject layers = snapshot().getJsonObject("layers");
    JsonArray city = layers.getJsonObject("city").getJsonArray("items");
    assertThat(item(city, "microdao:daarion").getString("name"))
        .as("microdao-service owns the name")
        .isEqualTo("DAARION Core");
    assertThat(item(city, "microdao:daarion").getInteger("agents")).isEqualTo(3);
    assertThat(item(city, "microdao:clan").getString("name")).isEqualTo("Clan Network");
    JsonObject sofia = item(layers.getJsonObject("agents").getJsonArray("items"), "agent:sofia");
    assertThat(sofia.getString("name")).as("agents-service owns the name").isEqualTo("Sofia");
    assertThat(sofia.getString("microdao_id")).isEqualTo("microdao:daarion");
    assertThat(sofia.getString("status")).isEqualTo("online");
    assertThat(sofia.getJsonObject("usage").getLong("llm_calls_24h")).isEqualTo(88);
    JsonArray planets = layers.getJsonObject("space").getJsonArray("planets");
    JsonObject gov = item(planets, "dao:daarion-governance");
    assertThat(gov.getInteger("active_proposals")).isEqualTo(1);
    assertThat(gov.getDouble("treasury_value")).isEqualTo(1_025_000.0);
    assertThat(gov.getString("microdao_id")).isEqualTo("microdao:daarion");
    assertThat(item(planets, "dao:3").getJsonArray("orbits")).containsExactly("node:03");
    JsonObject node = item(layers.getJsonObject("nodes").getJsonArray("items"), "node:03");
    assertThat(node.getJsonObject("metrics").getDouble("cpu")).isEqualTo(0.44);
    JsonObject meta = snapshot().getJsonObject("meta");
    assertThat(meta.getJsonArray("source_services")).hasSize(6);
    assertThat(meta.getJsonObject("sources").getJsonObject("dao-service").getString("state"))
        .isEqualTo("ok");

    long before = updates();
    round();
    round();
    assertThat(updates() - before)
        .as("unchanged upstreams make no updated events, even where two sources overlap")
        .isZero();
  }

  @Test
  void aFailingSourceKeepsItsLayerWhileOthersUpdate() throws Exception {
    round();
    round();
    fake.fault(UpstreamSource.SPACE, FakeUpstream.Fault.ERROR_500);
    String renamed =
        FakeUpstream.fixture("microdao-service__microdao.json")
            .replace("DAARION Core", "DAARION Renamed");
    fake.route("/microdao", renamed);
    for (int i = 0; i < 4; i++) {
      round();
    }
    JsonObject snap = snapshot();
    JsonObject layers = snap.getJsonObject("layers");
    assertThat(
            item(layers.getJsonObject("city").getJsonArray("items"), "microdao:daarion")
                .getString("name"))
        .isEqualTo("DAARION Renamed");
    JsonObject planet = item(layers.getJsonObject("space").getJsonArray("planets"), "dao:3");
    assertThat(planet.getString("name")).as("space data kept").isEqualTo("Aurora Circle");
    assertThat(
            item(layers.getJsonObject("nodes").getJsonArray("items"), "node:03")
                .getJsonObject("metrics")
                .getDouble("cpu"))
        .isEqualTo(0.44);
    assertThat(events).noneMatch(e -> e.eventType().equals("living_map.entity.removed"));
    JsonObject space =
        snap.getJsonObject("meta").getJsonObject("sources").getJsonObject("space-service");
    assertThat(space.getString("state")).isIn("down", "open_circuit");
    assertThat(space.getBoolean("stale")).isTrue();
    assertThat(space.getString("last_error")).contains("HTTP 500");
  }

  @Test
  void anEntityGoneUpstreamLeavesAfterTwoPolls() throws Exception {
    round();
    JsonArray daos = new JsonArray(FakeUpstream.fixture("dao-service__dao.json"));
    daos.remove(0);
    fake.route("/dao", daos.encode());
    round();
    assertThat(
            item(
                snapshot().getJsonObject("layers").getJsonObject("space").getJsonArray("planets"),
                "dao:energy-union-council"))
        .isNotNull();
    round();
    assertThat(
            snapshot()
                .getJsonObject("layers")
                .getJsonObject("space")
                .getJsonArray("planets")
                .encode())
        .doesNotContain("dao:energy-union-council");
    assertThat(events)
        .filteredOn(e -> e.eventType().equals("living_map.entity.removed"))
        .extracting(Event::entityId)
        .containsExactly("dao:energy-union-council");
  }
}
