package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.UpstreamPoll;
import org.daarion.livingmap.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StateOwnerTest {
  private StateOwner owner;
  private SnapshotService snapshots;
  private final List<Event> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    owner = new StateOwner(new LiveState("e1", 0), 1024, Clock.systemUTC());
    owner.addSink(seen::addAll);
    owner.start();
    snapshots = new SnapshotService(owner, Executors.newSingleThreadExecutor(), JsonObject::new);
  }

  @AfterEach
  void stop() {
    owner.close();
  }

  private void submit(String subject, JsonObject payload) throws InterruptedException {
    owner.submit(Event.incoming(subject, payload, Instant.now(), null, null));
  }

  private JsonObject snapshot() {
    await().until(() -> owner.queueDepth() == 0);
    return snapshots.current().join().json();
  }

  private static JsonObject item(JsonObject snapshot, String layer, String id) {
    return snapshot.getJsonObject("layers").getJsonObject(layer).getJsonArray("items").stream()
        .map(JsonObject.class::cast)
        .filter(o -> id.equals(o.getString("id")))
        .findFirst()
        .orElse(null);
  }

  @Test
  void nodeMetricsChangeThatNodeInTheNextSnapshot() throws Exception {
    submit("node.metrics.node-03", Fixtures.event("node.metrics.node-03"));
    await().until(() -> seen.size() == 1);
    JsonObject node = item(snapshot(), "nodes", "node:03");
    assertThat(node.getJsonObject("metrics").getDouble("cpu")).isEqualTo(0.44);
    assertThat(node.getJsonObject("metrics").getDouble("gpu")).isEqualTo(0.72);
    assertThat(node.getString("status")).isEqualTo("online");
    submit("node.metrics.node-03", new JsonObject().put("node_id", "node:03").put("gpu", 0.97));
    await().until(() -> seen.size() == 2);
    JsonObject hot = item(snapshot(), "nodes", "node:03");
    assertThat(hot.getJsonObject("metrics").getDouble("gpu")).isEqualTo(0.97);
    assertThat(hot.getString("status")).isEqualTo("warning");
  }

  @Test
  void eventsAreSequencedGapFreeInOrder() throws Exception {
    for (int i = 0; i < 500; i++) {
      submit(
          "node.metrics.n" + (i % 7),
          new JsonObject().put("node_id", "n" + (i % 7)).put("cpu", 0.1));
    }
    await().until(() -> seen.size() == 500);
    for (int i = 0; i < 500; i++) {
      assertThat(seen.get(i).seq()).isEqualTo(i + 1);
      assertThat(seen.get(i).epoch()).isEqualTo("e1");
    }
    assertThat(snapshot().getLong("seq")).isEqualTo(500);
  }

  @Test
  void agentStatusAndUsageAccrue() throws Exception {
    submit("agent.event.status", Fixtures.event("agent.event.status"));
    submit("usage.llm", Fixtures.event("usage.llm"));
    submit("usage.llm", Fixtures.event("usage.llm"));
    submit(
        "messaging.message.created",
        Fixtures.event("messaging.message.created")
            .put("sender_type", "agent")
            .put("sender_id", "agent:sofia"));
    JsonObject agent = item(snapshot(), "agents", "agent:sofia");
    assertThat(agent.getString("status")).isEqualTo("idle");
    assertThat(agent.getJsonObject("usage").getLong("llm_calls_24h")).isEqualTo(2);
    assertThat(agent.getJsonObject("usage").getLong("tokens_24h")).isEqualTo(1140);
    assertThat(agent.getJsonObject("usage").getLong("messages_24h")).isEqualTo(1);
    assertThat(agent.getJsonObject("usage").getDouble("avg_response_time_ms")).isEqualTo(1250.0);
    assertThat(agent.getString("model")).isEqualTo("gpt-4.1-mini");
  }

  @Test
  void proposalsOpenAndCloseOnTheirDaoPlanet() throws Exception {
    submit("dao.event.created", Fixtures.event("dao.event.created"));
    String uuid = "da000009-0000-4000-8000-000000000002";
    submit(
        "dao.event.proposal_created",
        new JsonObject().put("dao_id", uuid).put("proposal_id", "p1").put("status", "draft"));
    submit(
        "dao.event.proposal_activated",
        new JsonObject().put("dao_id", uuid).put("proposal_id", "p1"));
    submit(
        "dao.event.vote_cast",
        new JsonObject().put("dao_id", uuid).put("proposal_id", "p1").put("vote_value", "yes"));
    JsonObject planet = planet(snapshot(), "dao:energy-union-council");
    assertThat(planet.getInteger("active_proposals")).isEqualTo(1);
    assertThat(planet.getString("name")).isEqualTo("Energy Union Council");
    submit(
        "dao.event.proposal_closed",
        new JsonObject()
            .put("dao_id", uuid)
            .put("proposal_id", "p1")
            .put("final_status", "passed"));
    assertThat(planet(snapshot(), "dao:energy-union-council").getInteger("active_proposals"))
        .isZero();
    await().until(() -> seen.size() == 5);
    assertThat(seen).extracting(Event::entityId).containsOnly("dao:energy-union-council");
  }

  private static JsonObject planet(JsonObject snapshot, String id) {
    return snapshot.getJsonObject("layers").getJsonObject("space").getJsonArray("planets").stream()
        .map(JsonObject.class::cast)
        .filter(o -> id.equals(o.getString("id")))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void microdaoCreatedByEventTakesTheExternalIdTheServiceWillReport() throws Exception {
    submit("microdao.event.created", Fixtures.event("microdao.event.created"));
    submit(
        "microdao.event.member_added",
        new JsonObject().put("microdao_id", "3d000008-0000-4000-8000-000000000002"));
    JsonObject m = item(snapshot(), "city", "microdao:3d000008");
    assertThat(m.getString("name")).isEqualTo("Energy Union");
    assertThat(m.getInteger("members")).isEqualTo(1);
  }

  @Test
  void sideEventsForUnknownDaosAndMicrodaosInventNothing() throws Exception {
    submit("dao.event.vote_cast", Fixtures.event("dao.event.vote_cast"));
    submit("microdao.event.member_added", Fixtures.event("microdao.event.member_added"));
    await().until(() -> seen.size() == 2);
    assertThat(owner.state().size()).isZero();
  }

  @Test
  void pollsReconcileWithOneEventPerChange() {
    UpstreamPoll first =
        new UpstreamPoll(
            "agents-service",
            Set.of("agent"),
            List.of(patch("agent:a", "A", "m-uuid"), patch("agent:b", "B", "m-uuid")));
    owner.applyPoll(first).join();
    owner.applyPoll(first).join();
    await().until(() -> seen.size() == 2);
    assertThat(seen).extracting(Event::eventType).containsOnly(Reconciler.ADDED);

    UpstreamPoll renamed =
        new UpstreamPoll(
            "agents-service", Set.of("agent"), List.of(patch("agent:a", "A2", "m-uuid")));
    owner.applyPoll(renamed).join();
    await().until(() -> seen.size() == 3);
    assertThat(seen.get(2).eventType()).isEqualTo(Reconciler.UPDATED);
    assertThat(seen.get(2).payload().getJsonObject("changes").getString("name")).isEqualTo("A2");
    owner.applyPoll(renamed).join();
    await().until(() -> seen.size() == 4);
    assertThat(seen.get(3).eventType()).isEqualTo(Reconciler.REMOVED);
    assertThat(seen.get(3).entityId()).isEqualTo("agent:b");
    owner.applyPoll(renamed).join();
    assertThat(
            snapshot().getJsonObject("layers").getJsonObject("agents").getInteger("total_agents"))
        .isEqualTo(1);
    assertThat(seen).hasSize(4);
  }

  @Test
  void aPollThatRestatesTheStateKeepsEveryEntityInstanceAndTheVersion() {
    UpstreamPoll poll =
        new UpstreamPoll(
            "agents-service",
            Set.of("agent"),
            List.of(patch("agent:a", "A", "m-uuid"), patch("agent:b", "B", "m-uuid")));
    owner.applyPoll(poll).join();
    Entity a = owner.state().get("agent:a");
    long version = owner.state().version();
    owner.applyPoll(poll).join();
    // The snapshot encoder keeps an entity's bytes while the instance is the same.
    assertThat(owner.state().get("agent:a")).isSameAs(a);
    assertThat(owner.state().version()).isEqualTo(version);
  }

  @Test
  void partialPollsOnlyUpdateEntitiesThatExist() {
    UpstreamPoll usage =
        new UpstreamPoll(
            "usage-engine",
            Set.of(),
            List.of(
                new EntityPatch(
                    "agent:ghost",
                    "agent",
                    new JsonObject().put("usage", new JsonObject().put("llm_calls_24h", 5)),
                    null,
                    null)));
    owner.applyPoll(usage).join();
    assertThat(owner.state().get("agent:ghost")).isNull();
  }

  @Test
  void aliasesResolveUpstreamUuidsInSnapshotReferences() {
    owner
        .applyPoll(
            new UpstreamPoll(
                "microdao-service",
                Set.of("microdao"),
                List.of(
                    new EntityPatch(
                        "microdao:daarion",
                        "microdao",
                        new JsonObject().put("name", "DAARION Core"),
                        null,
                        List.of("3d000008-0000-4000-8000-000000000001")))))
        .join();
    owner
        .applyPoll(
            new UpstreamPoll(
                "agents-service",
                Set.of("agent"),
                List.of(patch("agent:sofia", "Sofia", "3d000008-0000-4000-8000-000000000001"))))
        .join();
    JsonObject s = snapshot();
    assertThat(item(s, "agents", "agent:sofia").getString("microdao_id"))
        .isEqualTo("microdao:daarion");
    assertThat(item(s, "city", "microdao:daarion").getInteger("agents")).isEqualTo(1);
  }

  @Test
  void snapshotHasEveryContractField() throws Exception {
    submit("node.metrics.node-03", Fixtures.event("node.metrics.node-03"));
    submit("agent.event.status", Fixtures.event("agent.event.status"));
    submit("dao.event.created", Fixtures.event("dao.event.created"));
    submit("microdao.event.created", Fixtures.event("microdao.event.created"));
    JsonObject s = snapshot();
    assertThat(s.fieldNames()).contains("generated_at", "layers", "meta", "seq", "epoch");
    JsonObject layers = s.getJsonObject("layers");
    assertThat(layers.getJsonObject("city").fieldNames())
        .contains("microdaos_total", "active_users", "active_agents", "health", "items");
    assertThat(layers.getJsonObject("city").getJsonArray("items").getJsonObject(0).fieldNames())
        .contains("id", "slug", "name", "status", "agents", "nodes", "members", "description");
    assertThat(layers.getJsonObject("space").getJsonArray("planets").getJsonObject(0).fieldNames())
        .contains("id", "name", "type", "status", "orbits", "treasury_value", "active_proposals");
    assertThat(layers.getJsonObject("space").getJsonArray("nodes").getJsonObject(0).fieldNames())
        .contains("id", "name", "status", "cpu", "gpu", "memory", "alerts");
    assertThat(layers.getJsonObject("nodes").fieldNames())
        .contains("items", "total_cpu", "total_gpu", "total_ram");
    assertThat(layers.getJsonObject("nodes").getJsonArray("items").getJsonObject(0).fieldNames())
        .contains(
            "id",
            "name",
            "microdao_id",
            "status",
            "metrics",
            "alerts",
            "uptime_seconds",
            "last_seen");
    assertThat(layers.getJsonObject("agents").fieldNames())
        .contains("items", "total_agents", "online_agents", "total_llm_calls_24h");
    assertThat(layers.getJsonObject("agents").getJsonArray("items").getJsonObject(0).fieldNames())
        .contains("id", "name", "kind", "microdao_id", "status", "usage", "model", "last_active");
    assertThat(s.getJsonObject("meta").fieldNames())
        .contains("generated_at", "version", "seq", "epoch");
  }

  @Test
  void snapshotIsSerialisedOncePerVersion() throws Exception {
    submit("node.metrics.a", new JsonObject().put("node_id", "a").put("cpu", 0.5));
    JsonObject first = snapshot();
    Snapshot a = snapshots.current().join();
    Snapshot b = snapshots.current().join();
    assertThat(a).isSameAs(b);
    assertThat(first.getLong("seq")).isEqualTo(1);
  }

  @Test
  void storedStatePlusReplayEqualsTheLiveState() throws Exception {
    submit("node.metrics.a", new JsonObject().put("node_id", "a").put("cpu", 0.5));
    submit("agent.event.status", Fixtures.event("agent.event.status"));
    await().until(() -> seen.size() == 2);
    JsonObject stored = StateCodec.dump(owner.cut().join());
    int before = seen.size();
    submit("node.metrics.a", new JsonObject().put("node_id", "a").put("cpu", 0.9));
    submit("usage.llm", Fixtures.event("usage.llm"));
    owner
        .applyPoll(
            new UpstreamPoll(
                "agents-service", Set.of("agent"), List.of(patch("agent:zed", "Zed", null))))
        .join();
    await().until(() -> seen.size() == before + 3);
    StateCut live = owner.cut().join();
    JsonObject replayed =
        StateCodec.replay(
            stored, List.copyOf(seen.subList(before, seen.size())), live.at(), new JsonObject());
    JsonObject expected = SnapshotBuilder.build(live, new JsonObject());
    assertThat(replayed.getJsonObject("layers")).isEqualTo(expected.getJsonObject("layers"));
    assertThat(replayed.getLong("seq")).isEqualTo(expected.getLong("seq"));
  }

  private static EntityPatch patch(String id, String name, String microdao) {
    return new EntityPatch(
        id, "agent", new JsonObject().put("name", name).put("microdao_id", microdao), null, null);
  }

  @Test
  void jetStreamRedeliveriesAreNotAppliedTwiceButStillReachHistorySinks() throws Exception {
    List<Event> dups = new CopyOnWriteArrayList<>();
    owner.addSink(
        new org.daarion.livingmap.event.EventSink() {
          @Override
          public void onEvents(List<Event> batch) {}

          @Override
          public void onDuplicates(List<Event> d) {
            dups.addAll(d);
          }
        });
    JsonObject llm = Fixtures.event("usage.llm");
    owner.submit(Event.incoming("usage.llm", llm, Instant.now(), "js:S:1", null));
    owner.submit(Event.incoming("usage.llm", llm, Instant.now(), "js:S:2", null));
    owner.submit(Event.incoming("usage.llm", llm, Instant.now(), "js:S:1", null));
    await().until(() -> dups.size() == 1);
    assertThat(seen).hasSize(2);
    JsonObject agent = item(snapshot(), "agents", "agent:sofia");
    assertThat(agent.getJsonObject("usage").getLong("llm_calls_24h")).isEqualTo(2);
    assertThat(owner.duplicateCount()).isEqualTo(1);
    assertThat(StateCodec.load(StateCodec.dump(owner.cut().join())).streamSeq()).isEqualTo(2);
  }

  @Test
  void aReducerFailureDoesNotStopTheOwner() throws Exception {
    submit(
        "dao.event.treasury_updated",
        new JsonObject().put("dao_id", "x").put("new_balance", new JsonObject()));
    submit("node.metrics.b", new JsonObject().put("node_id", "b").put("cpu", 0.3));
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
    assertThat(owner.state().get("node:b")).isNotNull();
  }
}
