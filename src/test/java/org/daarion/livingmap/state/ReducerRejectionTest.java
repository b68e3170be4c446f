package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.Rejection;
import org.daarion.livingmap.event.UpstreamPoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A reducer that meets a value it cannot use refuses the whole event: no partial change, no seq,
 * the event goes to the rejected sink with the reason.
 */
class ReducerRejectionTest {
  private StateOwner owner;
  private LiveState state;
  private final List<Event> seen = new CopyOnWriteArrayList<>();
  private final List<Rejection> rejected = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    state = new LiveState("e1", 0);
    owner = new StateOwner(state, 1024, Clock.systemUTC());
    owner.addSink(seen::addAll);
    owner.rejectInto(rejected::add);
    owner.start();
  }

  @AfterEach
  void stop() {
    owner.close();
  }

  private void submit(String subject, JsonObject payload) throws InterruptedException {
    owner.submit(Event.incoming(subject, payload, Instant.now(), null, null));
  }

  private void createDao() throws InterruptedException {
    submit(
        "dao.event.created",
        new JsonObject().put("dao_id", "u-1").put("slug", "alpha").put("name", "Alpha"));
    await().until(() -> seen.size() == 1);
  }

  @Test
  void aDecimalThatOverflowsIsRefusedAndLeavesTheDaoAsItWas() throws Exception {
    createDao();
    Entity before = state.get("dao:alpha");

    submit(
        "dao.event.treasury_updated",
        new JsonObject().put("dao_id", "u-1").put("new_balance", "1e400"));
    submit("dao.event.member_added", new JsonObject().put("dao_id", "u-1"));

    await().until(() -> seen.size() == 2);
    assertThat(rejected).hasSize(1);
    assertThat(rejected.get(0).subject()).isEqualTo("dao.event.treasury_updated");
    assertThat(rejected.get(0).reason()).contains("not finite").contains("dao:alpha");
    assertThat(new String(rejected.get(0).raw())).contains("1e400");
    // The next event took the seq the refused one would have had: no hole.
    assertThat(seen.get(1).seq()).isEqualTo(2);
    assertThat(state.seq()).isEqualTo(2);
    Entity after = state.get("dao:alpha");
    assertThat(after.extra().getValue("treasury")).isEqualTo(before.extra().getValue("treasury"));
    assertThat(after.extra().getLong("members_count")).isEqualTo(1L);
    assertThat(owner.reducerRejectedCount()).isEqualTo(1);
  }

  @Test
  void aStoredValueOfTheWrongTypeRefusesTheEventThatMeetsIt() throws Exception {
    // An upstream record put a string where the reducers keep an object.
    submit(
        "living_map.entity.added",
        new JsonObject()
            .put("entity_id", "node:n1")
            .put("entity_type", "node")
            .put("entity", new JsonObject().put("id", "node:n1").put("metrics", "n/a")));
    await().until(() -> seen.size() == 1);
    submit("node.metrics.n1", new JsonObject().put("node_id", "node:n1").put("cpu", 0.5));
    await().until(() -> rejected.size() == 1);
    assertThat(rejected.get(0).reason()).contains("wrong type");
    assertThat(state.get("node:n1").data().getValue("metrics")).isEqualTo("n/a");
    assertThat(state.seq()).isEqualTo(1);
  }

  @Test
  void anAverageThatOverflowsIsRefused() throws Exception {
    submit("agent.event.status", new JsonObject().put("agent_id", "a1").put("status", "online"));
    submit("usage.llm", new JsonObject().put("agent_id", "a1").put("latency_ms", 1.7e308));
    submit("usage.llm", new JsonObject().put("agent_id", "a1").put("latency_ms", -1.7e308));
    await().until(() -> seen.size() + rejected.size() == 3);
    assertThat(rejected).hasSize(1);
    JsonObject usage = state.get("agent:a1").data().getJsonObject("usage");
    assertThat(usage.getDouble("avg_response_time_ms")).isEqualTo(1.7e308);
    assertThat(usage.getLong("llm_calls_24h")).isEqualTo(1L);
  }

  @Test
  void aNameOverTheEntityByteBoundIsRefusedAndTheDaoKeepsItsName() throws Exception {
    createDao();
    String huge = "x".repeat(EntityBytes.MAX + 1);
    submit(
        "dao.event.updated",
        new JsonObject()
            .put("dao_id", "u-1")
            .put("changes", new JsonObject().put("name", huge).put("description", "d")));
    submit("dao.event.member_added", new JsonObject().put("dao_id", "u-1"));

    await().until(() -> seen.size() == 2);
    assertThat(rejected).hasSize(1);
    assertThat(rejected.get(0).reason()).contains("byte bound").contains("dao:alpha");
    assertThat(state.get("dao:alpha").data().getString("name")).isEqualTo("Alpha");
    assertThat(state.get("dao:alpha").extra().getLong("members_count")).isEqualTo(1L);
    // Many such events leave the state as small as it was.
    for (int i = 0; i < 20; i++) {
      submit(
          "microdao.event.created",
          new JsonObject().put("microdao_id", "m-" + i).put("slug", "m" + i).put("name", huge));
    }
    await().until(() -> rejected.size() == 21);
    assertThat(state.size()).isEqualTo(1);
  }

  @Test
  void anUpstreamRecordOverTheEntityByteBoundIsSkippedAndCounted() {
    LiveState s = new LiveState("e", 0);
    Reconciler reconciler = new Reconciler();
    JsonObject small = new JsonObject().put("name", "Sofia");
    JsonObject large = new JsonObject().put("raw", "y".repeat(EntityBytes.MAX + 1));
    Reconciler.Emitter emitter = (subject, id, type, payload) -> s.seq() + 1;
    reconciler.apply(
        new UpstreamPoll(
            "agents",
            java.util.Set.of("agent"),
            List.of(
                new EntityPatch("agent:sofia", "agent", small, null, null),
                new EntityPatch("agent:big", "agent", small, large, null))),
        s,
        emitter,
        Instant.now());
    assertThat(s.get("agent:sofia")).isNotNull();
    assertThat(s.get("agent:big")).isNull();
    // A later record that would grow a known entity past the bound leaves it as it was.
    reconciler.apply(
        new UpstreamPoll(
            "agents",
            java.util.Set.of("agent"),
            List.of(
                new EntityPatch(
                    "agent:sofia",
                    "agent",
                    new JsonObject().put("name", "z".repeat(EntityBytes.MAX + 1)),
                    null,
                    null))),
        s,
        emitter,
        Instant.now());
    assertThat(s.get("agent:sofia").data().getString("name")).isEqualTo("Sofia");
    assertThat(reconciler.oversizedCount()).isEqualTo(2);
  }

  @Test
  void aRefusedChangeUndoesItsAliasesToo() {
    LiveState s = new LiveState("e", 0);
    s.beginChange();
    s.alias("u-9", "dao:x");
    s.put(
        new Entity(
            "dao:x", "dao", new JsonObject(), new JsonObject(), java.util.Set.of(), 1, null));
    s.rollBack();
    assertThat(s.get("dao:x")).isNull();
    assertThat(s.resolve("dao:u-9")).isEqualTo("dao:u-9");
  }
}
