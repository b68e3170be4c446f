package org.daarion.livingmap.alert;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.Entity;
import org.daarion.livingmap.state.EntityTypes;
import org.junit.jupiter.api.Test;

class AlertEngineTest {
  private static final long T0 = Instant.parse("2025-11-28T10:00:00Z").toEpochMilli();
  private final Map<String, Entity> entities = new HashMap<>();

  private AlertEngine engine(String yaml) {
    return new AlertEngine(AlertRules.parse(yaml, "test.yaml"), entities::get);
  }

  private Entity node(String id, double cpu) {
    JsonObject d = EntityTypes.blank("node", id);
    d.getJsonObject("metrics").put("cpu", cpu);
    Entity e = new Entity(id, "node", d, new JsonObject(), Set.of(), 1, Instant.now());
    entities.put(id, e);
    return e;
  }

  private static List<String> states(List<AlertEngine.Change> changes) {
    return changes.stream().map(c -> c.alert().state()).toList();
  }

  private static final String CPU =
      """
      rules:
        - name: cpu_high
          entity_type: node
          field: metrics.cpu
          op: ">"
          value: 0.9
          clear_value: 0.8
          for: 60s
          severity: warning
          message: "{{entity.name}} CPU at {{value|pct}}"
      """;

  @Test
  void firesOnlyAfterTheConditionHeldForItsDuration() {
    AlertEngine e = engine(CPU);
    e.onEntity("node:1", node("node:1", 0.95), T0);
    assertThat(states(e.drain())).containsExactly("pending");
    e.tick(T0 + 59_999, null);
    assertThat(e.drain()).isEmpty();
    e.tick(T0 + 60_000, null);
    List<AlertEngine.Change> fired = e.drain();
    assertThat(states(fired)).containsExactly("firing");
    Alert a = fired.get(0).alert();
    assertThat(a.message()).isEqualTo("1 CPU at 95%");
    assertThat(a.startsAt()).isEqualTo(Instant.ofEpochMilli(T0 + 60_000));
    assertThat(a.activeAt()).isEqualTo(Instant.ofEpochMilli(T0));
    assertThat(a.entityId()).isEqualTo("node:1");
  }

  @Test
  void aPendingAlertIsDroppedWhenTheConditionStopsBeforeItsDuration() {
    AlertEngine e = engine(CPU);
    e.onEntity("node:1", node("node:1", 0.95), T0);
    e.onEntity("node:1", node("node:1", 0.85), T0 + 30_000);
    List<AlertEngine.Change> changes = e.drain();
    assertThat(states(changes)).containsExactly("pending", "resolved");
    assertThat(changes.get(1).previous().state()).isEqualTo("pending");
    e.tick(T0 + 120_000, null);
    assertThat(e.drain()).isEmpty();
    assertThat(e.active()).isEmpty();
  }

  @Test
  void hysteresisKeepsItFiringWhileTheValueOscillatesAroundTheThreshold() {
    AlertEngine e = engine(CPU);
    e.onEntity("node:1", node("node:1", 0.95), T0);
    e.tick(T0 + 60_000, null);
    assertThat(states(e.drain())).containsExactly("pending", "firing");
    double[] wobble = {0.89, 0.91, 0.85, 0.93, 0.81, 0.92, 0.88};
    long t = T0 + 61_000;
    for (double v : wobble) {
      e.onEntity("node:1", node("node:1", v), t);
      e.tick(t, null);
      t += 5_000;
    }
    assertThat(e.drain()).as("no change while above the clear value").isEmpty();
    assertThat(e.active()).singleElement().extracting(Alert::state).isEqualTo("firing");
    e.onEntity("node:1", node("node:1", 0.8), t);
    List<AlertEngine.Change> resolved = e.drain();
    assertThat(states(resolved)).containsExactly("resolved");
    assertThat(resolved.get(0).alert().endsAt()).isEqualTo(Instant.ofEpochMilli(t));
    assertThat(resolved.get(0).alert().id()).isEqualTo(resolved.get(0).previous().id());
  }

  @Test
  void keepFiringForHoldsAResolutionUntilTheClearConditionLasted() {
    AlertEngine e =
        engine(
            """
            - name: cpu_high
              entity_type: node
              field: metrics.cpu
              op: ">"
              value: 0.9
              keep_firing_for: 30s
            """);
    e.onEntity("node:1", node("node:1", 0.95), T0);
    assertThat(states(e.drain())).containsExactly("pending", "firing");
    e.onEntity("node:1", node("node:1", 0.5), T0 + 1_000);
    e.tick(T0 + 20_000, null);
    e.onEntity("node:1", node("node:1", 0.95), T0 + 25_000);
    e.onEntity("node:1", node("node:1", 0.5), T0 + 26_000);
    e.tick(T0 + 50_000, null);
    assertThat(e.drain()).as("the clear condition restarted at 26s").isEmpty();
    e.tick(T0 + 56_000, null);
    assertThat(states(e.drain())).containsExactly("resolved");
  }

  @Test
  void oneAlertPerRuleAndEntityNoMatterHowManyEvaluations() {
    AlertEngine e = engine(CPU.replace("for: 60s", "for: 0s"));
    for (int i = 0; i < 100; i++) {
      e.onEntity("node:1", node("node:1", 0.91 + i * 0.0001), T0 + i);
      e.onEntity("node:2", node("node:2", 0.99), T0 + i);
    }
    assertThat(states(e.drain())).containsExactly("pending", "firing", "pending", "firing");
    assertThat(e.active()).hasSize(2);
    assertThat(e.active()).extracting(Alert::id).doesNotHaveDuplicates();
  }

  @Test
  void anEntityThatLeavesTheMapResolvesItsAlerts() {
    AlertEngine e = engine(CPU.replace("for: 60s", "for: 0s"));
    e.onEntity("node:1", node("node:1", 0.95), T0);
    e.drain();
    e.onEntity("node:1", null, T0 + 1000);
    assertThat(states(e.drain())).containsExactly("resolved");
    assertThat(e.active()).isEmpty();
  }

  @Test
  void aLaterEpisodeGetsANewId() {
    AlertEngine e = engine(CPU.replace("for: 60s", "for: 0s"));
    e.onEntity("node:1", node("node:1", 0.95), T0);
    e.onEntity("node:1", node("node:1", 0.5), T0 + 1000);
    e.onEntity("node:1", node("node:1", 0.95), T0 + 2000);
    List<AlertEngine.Change> changes = e.drain();
    assertThat(states(changes))
        .containsExactly("pending", "firing", "resolved", "pending", "firing");
    assertThat(changes.get(4).alert().id()).isNotEqualTo(changes.get(1).alert().id());
  }

  @Test
  void statusRulesLookAtTheEntitysOwnStatusAndWhereFilters() {
    AlertEngine e =
        engine(
            """
            - name: agent_offline
              entity_type: agent
              field: status
              op: "=="
              value: offline
              where: {microdao_id: "microdao:daarion"}
              for: 5m
            """);
    JsonObject d = EntityTypes.blank("agent", "agent:sofia").put("microdao_id", "microdao:daarion");
    Entity sofia =
        new Entity("agent:sofia", "agent", d, new JsonObject(), Set.of(), 1, Instant.now());
    JsonObject d2 = EntityTypes.blank("agent", "agent:other").put("microdao_id", "microdao:x");
    Entity other =
        new Entity("agent:other", "agent", d2, new JsonObject(), Set.of(), 1, Instant.now());
    e.onEntity(sofia.id(), sofia, T0);
    e.onEntity(other.id(), other, T0);
    e.tick(T0 + 299_000, null);
    assertThat(states(e.drain())).containsExactly("pending");
    e.tick(T0 + 300_000, null);
    List<AlertEngine.Change> fired = e.drain();
    assertThat(states(fired)).containsExactly("firing");
    assertThat(fired.get(0).alert().entityId()).isEqualTo("agent:sofia");
  }

  private static final String RATE =
      """
      - name: llm_errors
        rate:
          event_type: [usage.llm, usage.llm.>]
          where: {success: false}
          threshold: 5/min
          clear_threshold: 2
        severity: critical
        message: "{{entity_id}}: {{value}} failures in {{window}}"
      """;

  private static Event llm(String agent, boolean success, String subject) {
    return Event.incoming(
        subject,
        new JsonObject().put("agent_id", agent).put("success", success).put("model", "m"),
        Instant.now(),
        null,
        null);
  }

  @Test
  void rateRulesFireAboveTheThresholdPerEntityAndDecayOverTheWindow() {
    AlertEngine e = engine(RATE);
    for (int i = 0; i < 5; i++) {
      e.onEvent(
          llm("agent:sofia", false, i % 2 == 0 ? "usage.llm" : "usage.llm.openai"), T0 + i * 1000);
      e.onEvent(llm("agent:sofia", true, "usage.llm"), T0 + i * 1000);
      e.onEvent(llm("agent:helion", false, "usage.llm"), T0 + i * 1000);
    }
    e.onEvent(llm("agent:sofia", false, "usage.agent"), T0 + 5000);
    assertThat(e.drain()).as("5 failures is not more than 5").isEmpty();
    e.onEvent(llm("agent:sofia", false, "usage.llm"), T0 + 6000);
    List<AlertEngine.Change> fired = e.drain();
    assertThat(states(fired)).containsExactly("pending", "firing");
    assertThat(fired.get(1).alert().entityId()).isEqualTo("agent:sofia");
    assertThat(fired.get(1).alert().value()).isEqualTo(6L);
    assertThat(fired.get(1).alert().message()).isEqualTo("agent:sofia: 6 failures in 1m");
    assertThat(fired.get(1).alert().severity()).isEqualTo(Severity.CRITICAL);
    e.tick(T0 + 30_000, null);
    assertThat(e.drain()).isEmpty();
    e.tick(T0 + 61_000, null);
    e.tick(T0 + 66_000, null);
    assertThat(states(e.drain())).as("the window emptied").containsExactly("resolved");
  }

  @Test
  void sourceRulesFollowTheSourceStatusOnTicks() {
    AlertEngine e =
        engine(
            """
            - name: source_unhealthy
              source: "*"
              op: "!="
              value: ok
              for: 2m
              message: "upstream {{source}} is {{value}}"
            """);
    JsonObject down =
        new JsonObject()
            .put("city-service", new JsonObject().put("state", "down"))
            .put("dao-service", new JsonObject().put("state", "ok"));
    e.tick(T0, down);
    assertThat(states(e.drain())).containsExactly("pending");
    e.tick(T0 + 119_000, down);
    assertThat(e.drain()).isEmpty();
    e.tick(T0 + 120_000, down);
    List<AlertEngine.Change> fired = e.drain();
    assertThat(states(fired)).containsExactly("firing");
    assertThat(fired.get(0).alert().message()).isEqualTo("upstream city-service is down");
    assertThat(fired.get(0).alert().source()).isEqualTo("city-service");
    e.tick(T0 + 121_000, new JsonObject().put("city-service", new JsonObject().put("state", "ok")));
    assertThat(states(e.drain())).containsExactly("resolved");
  }
}
