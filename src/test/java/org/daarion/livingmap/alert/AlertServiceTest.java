package org.daarion.livingmap.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.UpstreamPoll;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Alerts through the real state owner and snapshot service. */
class AlertServiceTest {
  private static final String RULES =
      """
      - name: cpu_high
        entity_type: node
        field: metrics.cpu
        op: ">"
        value: 0.9
        clear_value: 0.8
        for: 60s
        severity: warning
        labels: {team: infra}
        message: "{{entity.name}} CPU at {{value|pct}}"
      - name: agent_offline
        entity_type: agent
        field: status
        op: "=="
        value: offline
        for: 5m
        severity: critical
      - name: source_unhealthy
        source: "*"
        op: "!="
        value: ok
        for: 2m
      """;

  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-28T10:00:00Z"));
  private final List<Event> seen = new CopyOnWriteArrayList<>();
  private final RecordingNotifier notifier = new RecordingNotifier();
  private final AtomicReference<JsonObject> sources = new AtomicReference<>(new JsonObject());
  private final ExecutorService workers = Executors.newSingleThreadExecutor();
  private StateOwner owner;
  private AlertService alerts;
  private SnapshotService snapshots;

  private void start() {
    owner = new StateOwner(new LiveState("e1", 0), 1024, Clock.systemUTC());
    alerts =
        new AlertService(
            owner,
            AlertRules.parse(RULES, "t.yaml"),
            notifier,
            sources::get,
            clock,
            Duration.ofMinutes(1));
    owner.addSink(alerts);
    owner.addSink(seen::addAll);
    owner.start();
    snapshots = new SnapshotService(owner, workers, JsonObject::new);
  }

  @AfterEach
  void stop() {
    alerts.close();
    owner.close();
    workers.shutdownNow();
  }

  private void metrics(String node, double cpu) throws InterruptedException {
    int before = count("node.metrics." + node);
    owner.submit(
        Event.incoming(
            "node.metrics." + node,
            new JsonObject().put("node_id", node).put("cpu", cpu).put("gpu", 0.1),
            clock.instant(),
            null,
            null));
    await().until(() -> count("node.metrics." + node) == before + 1);
  }

  private int count(String subject) {
    return (int) seen.stream().filter(e -> e.eventType().equals(subject)).count();
  }

  private JsonObject node(String id) {
    JsonObject snap = snapshots.current().join().json();
    return snap.getJsonObject("layers").getJsonObject("nodes").getJsonArray("items").stream()
        .map(JsonObject.class::cast)
        .filter(o -> id.equals(o.getString("id")))
        .findFirst()
        .orElseThrow();
  }

  private JsonObject spaceNode(String id) {
    JsonObject snap = snapshots.current().join().json();
    return snap.getJsonObject("layers").getJsonObject("space").getJsonArray("nodes").stream()
        .map(JsonObject.class::cast)
        .filter(o -> id.equals(o.getString("id")))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aFiringAlertLightsUpTheNodeInTheSnapshotAndResolvingRestoresIt() throws Exception {
    start();
    metrics("n1", 0.95);
    alerts.tick().join();
    assertThat(alerts.alerts()).singleElement().extracting(Alert::state).isEqualTo("pending");
    assertThat(node("node:n1").getString("status"))
        .as("pending changes nothing")
        .isEqualTo("warning");
    assertThat(node("node:n1").getJsonArray("alerts")).isEmpty();

    clock.advance(Duration.ofSeconds(60));
    alerts.tick().join();
    Alert firing = alerts.alerts().get(0);
    assertThat(firing.state()).isEqualTo("firing");
    JsonObject n = node("node:n1");
    assertThat(n.getString("status")).isEqualTo("warning");
    assertThat(n.getJsonArray("alerts")).hasSize(1);
    JsonObject item = n.getJsonArray("alerts").getJsonObject(0);
    assertThat(item.getString("id")).isEqualTo(firing.id());
    assertThat(item.getString("rule")).isEqualTo("cpu_high");
    assertThat(item.getString("severity")).isEqualTo("warning");
    assertThat(item.getString("message")).isEqualTo("n1 CPU at 95%");
    assertThat(item.getString("since")).isEqualTo("2025-11-28T10:01:00Z");
    assertThat(item.getString("state")).isEqualTo("firing");
    assertThat(spaceNode("node:n1").getJsonArray("alerts")).hasSize(1);

    // Below the reducer's own warning level but above the clear value: still an alert, still
    // warning.
    metrics("n1", 0.85);
    assertThat(node("node:n1").getString("status")).isEqualTo("warning");
    assertThat(node("node:n1").getJsonArray("alerts")).hasSize(1);

    metrics("n1", 0.5);
    await().until(() -> count("living_map.alert.resolved") == 1);
    JsonObject after = node("node:n1");
    assertThat(after.getString("status")).isEqualTo("online");
    assertThat(after.getJsonArray("alerts")).isEmpty();
    assertThat(notifier.firing).extracting(Alert::id).containsExactly(firing.id());
    assertThat(notifier.resolved).extracting(Alert::id).containsExactly(firing.id());
    assertThat(alerts.alerts()).singleElement().extracting(Alert::state).isEqualTo("resolved");
  }

  @Test
  void aPollThatSaysOnlineOrClearsAlertsDoesNotHideAFiringAlert() throws Exception {
    start();
    metrics("n1", 0.95);
    clock.advance(Duration.ofSeconds(60));
    alerts.tick().join();
    owner
        .applyPoll(
            new UpstreamPoll(
                "space-service",
                Set.of(),
                List.of(
                    new EntityPatch(
                        "node:n1",
                        "node",
                        new JsonObject()
                            .put("status", "online")
                            .put("name", "GPU box")
                            .put("alerts", new JsonArray()),
                        null,
                        null))))
        .join();
    JsonObject n = node("node:n1");
    assertThat(n.getString("name")).isEqualTo("GPU box");
    assertThat(n.getString("status")).isEqualTo("warning");
    assertThat(n.getJsonArray("alerts")).hasSize(1);
    owner
        .applyPoll(
            new UpstreamPoll(
                "space-service",
                Set.of(),
                List.of(
                    new EntityPatch(
                        "node:n1", "node", new JsonObject().put("status", "offline"), null, null))))
        .join();
    assertThat(node("node:n1").getString("status"))
        .as("offline is worse than warning")
        .isEqualTo("offline");
    metrics("n1", 0.1);
    await().until(() -> count("living_map.alert.resolved") == 1);
    assertThat(node("node:n1").getString("status"))
        .as("the metrics reducer's own status")
        .isEqualTo("online");
  }

  @Test
  void alertEventsReachTheSinksInSeqOrderWithWhatAUiNeeds() throws Exception {
    start();
    metrics("n1", 0.95);
    clock.advance(Duration.ofSeconds(61));
    alerts.tick().join();
    metrics("n1", 0.1);
    await().until(() -> count("living_map.alert.resolved") == 1);
    for (int i = 0; i < seen.size(); i++) {
      assertThat(seen.get(i).seq()).isEqualTo(i + 1);
    }
    Event fired =
        seen.stream()
            .filter(e -> e.eventType().equals("living_map.alert.firing"))
            .findFirst()
            .orElseThrow();
    assertThat(fired.entityId()).isEqualTo("node:n1");
    assertThat(fired.entityType()).isEqualTo("node");
    assertThat(fired.sourceService()).isEqualTo("living-map-service");
    JsonObject p = fired.payload();
    assertThat(p.getString("state")).isEqualTo("firing");
    assertThat(p.fieldNames())
        .contains("id", "rule", "severity", "message", "since", "entity_id", "labels", "value");
    assertThat(p.getJsonObject("labels").getString("team")).isEqualTo("infra");
    Event resolved =
        seen.stream()
            .filter(e -> e.eventType().equals("living_map.alert.resolved"))
            .findFirst()
            .orElseThrow();
    assertThat(resolved.payload().getString("id")).isEqualTo(p.getString("id"));
    assertThat(resolved.payload().getString("state")).isEqualTo("resolved");
    assertThat(resolved.payload().getString("ends_at")).isNotNull();
  }

  @Test
  void aStateRebuiltFromHistoryShowsTheSameAlerts() throws Exception {
    start();
    metrics("n1", 0.95);
    clock.advance(Duration.ofSeconds(61));
    alerts.tick().join();
    List<Event> history = List.copyOf(seen);
    assertThat(history).extracting(Event::eventType).contains("living_map.alert.firing");

    StateOwner rebuilt = new StateOwner(new LiveState("e1", 0), 1024, Clock.systemUTC());
    rebuilt.start();
    try {
      JsonObject data =
          rebuilt
              .call(
                  a -> {
                    history.forEach(a::replay);
                    return a.state().get("node:n1").data();
                  })
              .join();
      assertThat(data.getString("status")).isEqualTo("warning");
      assertThat(data.getJsonArray("alerts")).hasSize(1);
      assertThat(data.getJsonArray("alerts").getJsonObject(0).getString("rule"))
          .isEqualTo("cpu_high");
    } finally {
      rebuilt.close();
    }
  }

  @Test
  void onStartAlertsLeftInARestoredStateAreResolvedAndConditionsReevaluated() throws Exception {
    start();
    metrics("n1", 0.95);
    metrics("n2", 0.95);
    clock.advance(Duration.ofSeconds(61));
    alerts.tick().join();
    metrics("n2", 0.1);
    await().until(() -> count("living_map.alert.resolved") == 1);
    List<Event> history = List.copyOf(seen);

    // A restart: a new owner rebuilt from history, a new alert service that raised nothing yet.
    StateOwner restarted = new StateOwner(new LiveState("e2", 0), 1024, Clock.systemUTC());
    List<Event> after = new CopyOnWriteArrayList<>();
    AlertService fresh =
        new AlertService(
            restarted,
            AlertRules.parse(RULES, "t.yaml"),
            notifier,
            null,
            clock,
            Duration.ofMinutes(1));
    restarted.addSink(fresh);
    restarted.addSink(after::addAll);
    restarted.start();
    try {
      restarted
          .call(
              a -> {
                history.forEach(a::replay);
                return null;
              })
          .join();
      assertThat(restarted.state().get("node:n1").data().getJsonArray("alerts")).hasSize(1);
      fresh.adopt().join();
      assertThat(after).extracting(Event::eventType).containsExactly("living_map.alert.resolved");
      assertThat(after.get(0).payload().getString("reason")).isEqualTo("restart");
      assertThat(restarted.state().get("node:n1").data().getJsonArray("alerts")).isEmpty();
      assertThat(fresh.alerts())
          .singleElement()
          .satisfies(
              x -> {
                assertThat(x.entityId()).isEqualTo("node:n1");
                assertThat(x.state()).isEqualTo("pending");
              });
      clock.advance(Duration.ofSeconds(60));
      fresh.tick().join();
      assertThat(restarted.state().get("node:n1").data().getJsonArray("alerts")).hasSize(1);
    } finally {
      fresh.close();
      restarted.close();
    }
  }

  @Test
  void agentsListTheirAlertsButKeepTheirStatus() throws Exception {
    start();
    owner.submit(
        Event.incoming(
            "agent.event.status",
            new JsonObject().put("agent_id", "agent:sofia").put("status", "offline"),
            clock.instant(),
            null,
            null));
    await().until(() -> count("agent.event.status") == 1);
    clock.advance(Duration.ofMinutes(5));
    alerts.tick().join();
    JsonObject agent = owner.read(a -> a.state().get("agent:sofia").data()).join();
    assertThat(agent.getString("status")).isEqualTo("offline");
    JsonArray list = agent.getJsonArray("alerts");
    assertThat(list).hasSize(1);
    assertThat(list.getJsonObject(0).getString("severity")).isEqualTo("critical");
  }

  @Test
  void sourceRulesReadTheSuppliedSourceStatusOnTicks() {
    start();
    sources.set(
        new JsonObject().put("city-service", new JsonObject().put("state", "open_circuit")));
    alerts.tick().join();
    clock.advance(Duration.ofMinutes(2));
    alerts.tick().join();
    assertThat(alerts.alerts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.state()).isEqualTo("firing");
              assertThat(a.rule()).isEqualTo("source_unhealthy");
              assertThat(a.key()).isEqualTo("city-service");
              assertThat(a.value()).isEqualTo("open_circuit");
            });
    assertThat(count("living_map.alert.firing")).isEqualTo(1);
    sources.set(new JsonObject().put("city-service", new JsonObject().put("state", "ok")));
    alerts.tick().join();
    assertThat(count("living_map.alert.resolved")).isEqualTo(1);
  }

  @Test
  void silencedAlertsAreListedButNotNotified() throws Exception {
    start();
    alerts
        .silences()
        .add(
            "cpu_high",
            "node:n1",
            null,
            clock.instant().plus(Duration.ofHours(1)),
            "maintenance",
            "ops");
    metrics("n1", 0.95);
    metrics("n2", 0.95);
    clock.advance(Duration.ofSeconds(60));
    alerts.tick().join();
    assertThat(alerts.alerts()).extracting(Alert::state).containsExactly("firing", "firing");
    assertThat(notifier.firing).extracting(Alert::entityId).containsExactly("node:n2");
    Alert n1 =
        alerts.alerts().stream()
            .filter(a -> a.entityId().equals("node:n1"))
            .findFirst()
            .orElseThrow();
    assertThat(alerts.view(n1).getBoolean("silenced")).isTrue();
    assertThat(node("node:n1").getJsonArray("alerts")).as("still on the map").hasSize(1);
    metrics("n1", 0.1);
    await().until(() -> count("living_map.alert.resolved") == 1);
    assertThat(notifier.resolved).as("its firing was never sent").isEmpty();
  }

  @Test
  void ackMarksTheAlertOnTheEntityAndInHistory() throws Exception {
    start();
    metrics("n1", 0.95);
    clock.advance(Duration.ofSeconds(60));
    alerts.tick().join();
    String id = alerts.alerts().get(0).id();
    assertThat(alerts.ack(id, "olena", "looking").join()).isPresent();
    assertThat(alerts.ack("alert-nope", "olena", null).join()).isEmpty();
    assertThat(count("living_map.alert.acknowledged")).isEqualTo(1);
    JsonObject item = node("node:n1").getJsonArray("alerts").getJsonObject(0);
    assertThat(item.getBoolean("acked")).isTrue();
    assertThat(item.getString("acked_by")).isEqualTo("olena");
    assertThat(alerts.view(alerts.alert(id).orElseThrow()).getString("acked_by"))
        .isEqualTo("olena");
  }

  @Test
  void firingAlertsAreRepeatedToTheNotifierEveryResendInterval() throws Exception {
    start();
    metrics("n1", 0.95);
    clock.advance(Duration.ofSeconds(60));
    alerts.tick().join();
    assertThat(notifier.refreshes).hasSize(1);
    assertThat(notifier.refreshes.get(0)).extracting(Alert::rule).containsExactly("cpu_high");
    clock.advance(Duration.ofSeconds(30));
    alerts.tick().join();
    assertThat(notifier.refreshes).hasSize(1);
    clock.advance(Duration.ofSeconds(30));
    alerts.tick().join();
    assertThat(notifier.refreshes).hasSize(2);
  }
}
