package org.daarion.livingmap.alert;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.daarion.livingmap.state.Entity;
import org.daarion.livingmap.state.EntityTypes;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode's alert identity (issue 17), as pure logic: an episode is named by the stream
 * position where it began, whatever the replica's clock; a decision of the lease holder read back
 * from the stream replaces what a replica holds for that rule and key.
 */
class AlertEngineClusterTest {
  private static final long T0 = Instant.parse("2025-11-28T10:00:00Z").toEpochMilli();
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
      """;
  private final Map<String, Entity> entities = new HashMap<>();

  private AlertEngine engine() {
    return new AlertEngine(AlertRules.parse(CPU, "test.yaml"), entities::get);
  }

  private Entity node(String id, double cpu) {
    JsonObject d = EntityTypes.blank("node", id);
    d.getJsonObject("metrics").put("cpu", cpu);
    Entity e = new Entity(id, "node", d, new JsonObject(), Set.of(), 1, Instant.now());
    entities.put(id, e);
    return e;
  }

  @Test
  void episodesAreNamedByTheirStreamPositionNotByTheReplicasClock() {
    AlertEngine a = engine();
    AlertEngine b = engine();
    a.at(42);
    a.onEntity("node:1", node("node:1", 0.95), T0);
    b.at(42);
    b.onEntity("node:1", node("node:1", 0.95), T0 + 3_000);
    String id = a.active().get(0).id();
    assertThat(b.active()).extracting(Alert::id).containsExactly(id);

    // Another position is another episode.
    AlertEngine c = engine();
    c.at(43);
    c.onEntity("node:1", node("node:1", 0.95), T0);
    assertThat(c.active().get(0).id()).isNotEqualTo(id);
    // A single instance (no position) still names it by its start time.
    AlertEngine single = engine();
    single.onEntity("node:1", node("node:1", 0.95), T0);
    assertThat(single.active().get(0).id()).isNotEqualTo(id);
  }

  @Test
  void theHoldersDecisionReplacesWhatAReplicaHolds() {
    AlertEngine late = engine();
    late.at(100);
    late.onEntity("node:1", node("node:1", 0.95), T0);
    Alert pendingHere = late.active().get(0);
    assertThat(pendingHere.state()).isEqualTo(Alert.PENDING);
    late.drain();

    // The holder began the episode at position 42 and fired it on its clock.
    AlertRule rule = AlertRules.parse(CPU, "test.yaml").get(0);
    Alert fired =
        new Alert(
            AlertEngine.alertIdAt(rule, "node:1", 42),
            "cpu_high",
            Alert.FIRING,
            Severity.WARNING,
            "node:1",
            "node",
            "node:1",
            null,
            0.95,
            "hot",
            Map.of(),
            Instant.ofEpochMilli(T0 - 60_000),
            Instant.ofEpochMilli(T0),
            null);
    assertThat(late.follow(fired)).isEqualTo(pendingHere);
    assertThat(late.active()).containsExactly(fired);
    assertThat(late.drain()).as("nothing to publish: it is on the stream already").isEmpty();

    // The condition still holds: nothing changes; a resolution of another episode is ignored.
    late.onEntity("node:1", node("node:1", 0.96), T0 + 1_000);
    Alert other = fired.withState(Alert.RESOLVED, 0.5, "hot", fired.startsAt(), Instant.now());
    Alert otherEpisode =
        new Alert(
            "alert-other",
            other.rule(),
            other.state(),
            other.severity(),
            other.entityId(),
            other.entityType(),
            other.key(),
            null,
            0.5,
            null,
            Map.of(),
            other.activeAt(),
            other.startsAt(),
            other.endsAt());
    assertThat(late.follow(otherEpisode)).isNull();
    assertThat(late.active()).extracting(Alert::id).containsExactly(fired.id());

    // The holder's resolution of this episode ends it here too.
    assertThat(late.follow(other)).isEqualTo(fired);
    assertThat(late.active()).isEmpty();
    assertThat(late.drain()).isEmpty();
  }

  @Test
  void alertJsonReadsBackAsTheSameAlert() {
    AlertEngine a = engine();
    a.at(7);
    a.onEntity("node:1", node("node:1", 0.95), T0);
    Alert al = a.active().get(0);
    assertThat(AlertOperatorEvents.alert(al.toJson())).isEqualTo(al);
    assertThat(AlertOperatorEvents.alert(new JsonObject().put("id", 3))).isNull();
  }
}
