package org.daarion.livingmap.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.StateOwner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The alert API over HTTP, with the whole chain behind it: state owner, rules, webhook. */
class AlertRoutesTest {
  private static final String RULES =
      """
      - name: cpu_high
        entity_type: node
        field: metrics.cpu
        op: ">"
        value: 0.9
        severity: warning
      - name: too_hot
        entity_type: node
        field: metrics.temperature
        op: ">"
        value: 85
        severity: critical
      - name: agent_offline
        entity_type: agent
        field: status
        op: "=="
        value: offline
        for: 5m
        severity: info
      """;

  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-28T10:00:00Z"));
  private final List<JsonObject> hooks = new CopyOnWriteArrayList<>();
  private final List<Event> seen = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private WebClient http;
  private StateOwner owner;
  private AlertService alerts;
  private int port;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx);
    Router router = Router.router(vertx);
    router
        .post("/hook")
        .handler(
            ctx ->
                ctx.request()
                    .body()
                    .onSuccess(
                        b -> {
                          hooks.add(b.toJsonObject());
                          ctx.response().end();
                        }));
    var server = vertx.createHttpServer().requestHandler(router).listen(0).await();
    port = server.actualPort();
    owner = new StateOwner(new LiveState("e1", 0), 1024, Clock.systemUTC());
    HttpAlertNotifier notifier =
        new HttpAlertNotifier(
            vertx,
            new HttpAlertNotifier.Targets(
                List.of(URI.create("http://localhost:" + port + "/hook")),
                null,
                null,
                null,
                null,
                null),
            new RetryPolicy(
                2, Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(5)),
            clock);
    alerts =
        new AlertService(
            owner, AlertRules.parse(RULES, "t.yaml"), notifier, null, clock, Duration.ofMinutes(1));
    owner.addSink(alerts);
    owner.addSink(seen::addAll);
    owner.start();
    new AlertRoutes(alerts, ctx -> "admin".equals(ctx.request().getHeader("X-Role"))).mount(router);
  }

  @AfterEach
  void stop() {
    alerts.close();
    owner.close();
    vertx.close().await();
  }

  private void submit(String subject, JsonObject payload) throws InterruptedException {
    int before = seen.size();
    owner.submit(Event.incoming(subject, payload, clock.instant(), null, null));
    await().until(() -> seen.size() > before);
  }

  /** Two nodes firing (one warning, one critical) and one agent pending. */
  private void threeAlerts() throws InterruptedException {
    submit("node.metrics.n1", new JsonObject().put("node_id", "n1").put("cpu", 0.95));
    submit("node.metrics.n2", new JsonObject().put("node_id", "n2").put("temperature", 90));
    submit(
        "agent.event.status", new JsonObject().put("agent_id", "sofia").put("status", "offline"));
    await()
        .until(
            () ->
                alerts.alerts().size() == 3
                    && seen.stream()
                            .filter(e -> e.eventType().equals("living_map.alert.firing"))
                            .count()
                        == 2);
  }

  private HttpResponse<Buffer> get(String path) {
    return http.get(port, "localhost", path).send().await();
  }

  private HttpResponse<Buffer> post(String path, JsonObject body, boolean admin) {
    var req = http.post(port, "localhost", path);
    if (admin) {
      req.putHeader("X-Role", "admin");
    }
    return body == null ? req.send().await() : req.sendJsonObject(body).await();
  }

  private static List<String> rules(HttpResponse<Buffer> r) {
    return r.bodyAsJsonObject().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("rule"))
        .toList();
  }

  @Test
  void listsAlertsFilteredByStateSeverityAndEntity() throws Exception {
    threeAlerts();
    HttpResponse<Buffer> all = get("/living-map/alerts");
    assertThat(all.statusCode()).isEqualTo(200);
    assertThat(all.bodyAsJsonObject().getInteger("total")).isEqualTo(3);
    assertThat(all.bodyAsJsonObject().getJsonObject("counts").getInteger("firing")).isEqualTo(2);
    assertThat(rules(all).subList(0, 2))
        .as("firing first")
        .containsExactlyInAnyOrder("cpu_high", "too_hot");
    assertThat(rules(get("/living-map/alerts?state=firing")))
        .containsExactlyInAnyOrder("cpu_high", "too_hot");
    assertThat(rules(get("/living-map/alerts?state=pending"))).containsExactly("agent_offline");
    assertThat(rules(get("/living-map/alerts?severity=critical"))).containsExactly("too_hot");
    assertThat(rules(get("/living-map/alerts?severity=critical,info")))
        .containsExactlyInAnyOrder("too_hot", "agent_offline");
    assertThat(rules(get("/living-map/alerts?entity_id=node:n1"))).containsExactly("cpu_high");
    JsonObject item =
        get("/living-map/alerts?entity_id=node:n1")
            .bodyAsJsonObject()
            .getJsonArray("items")
            .getJsonObject(0);
    assertThat(item.fieldNames())
        .contains("id", "rule", "severity", "message", "since", "state", "acked", "silenced");
    assertThat(
            get("/living-map/alerts/" + item.getString("id")).bodyAsJsonObject().getString("rule"))
        .isEqualTo("cpu_high");
    assertThat(get("/living-map/alerts/alert-none").statusCode()).isEqualTo(404);

    submit("node.metrics.n1", new JsonObject().put("node_id", "n1").put("cpu", 0.2));
    await().until(() -> alerts.alerts().stream().anyMatch(a -> a.state().equals("resolved")));
    assertThat(rules(get("/living-map/alerts?state=resolved"))).containsExactly("cpu_high");
    assertThat(rules(get("/living-map/alerts?state=active")))
        .containsExactlyInAnyOrder("too_hot", "agent_offline");
  }

  @Test
  void badParametersAre400NamingTheParameter() {
    for (String[] c :
        new String[][] {
          {"state=bogus", "state"},
          {"severity=urgent", "severity"},
          {"limit=0", "limit"},
          {"limit=x", "limit"},
          {"rule=nope", "rule"}
        }) {
      HttpResponse<Buffer> r = get("/living-map/alerts?" + c[0]);
      assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getString("parameter")).as(c[0]).isEqualTo(c[1]);
      assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("bad_parameter");
    }
  }

  @Test
  void ackNeedsAnAdminAndMarksTheAlert() throws Exception {
    threeAlerts();
    String id =
        alerts.alerts().stream()
            .filter(a -> a.rule().equals("cpu_high"))
            .findFirst()
            .orElseThrow()
            .id();
    assertThat(post("/living-map/alerts/" + id + "/ack", null, false).statusCode()).isEqualTo(403);
    HttpResponse<Buffer> ok =
        post("/living-map/alerts/" + id + "/ack", new JsonObject().put("by", "olena"), true);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.bodyAsJsonObject().getBoolean("acked")).isTrue();
    assertThat(ok.bodyAsJsonObject().getString("acked_by")).isEqualTo("olena");
    assertThat(post("/living-map/alerts/alert-none/ack", null, true).statusCode()).isEqualTo(404);
    assertThat(seen).extracting(Event::eventType).contains("living_map.alert.acknowledged");
  }

  @Test
  void silencesAreCreatedListedAppliedAndDeleted() throws Exception {
    assertThat(post("/living-map/silences", new JsonObject(), false).statusCode()).isEqualTo(403);
    HttpResponse<Buffer> created =
        post(
            "/living-map/silences",
            new JsonObject()
                .put("matchers", new JsonObject().put("rule", "too_hot"))
                .put("duration", "2h")
                .put("comment", "replacing the fan"),
            true);
    assertThat(created.statusCode()).isEqualTo(201);
    JsonObject silence = created.bodyAsJsonObject();
    assertThat(silence.getString("expires_at")).isEqualTo("2025-11-28T12:00:00Z");
    assertThat(silence.getString("state")).isEqualTo("active");

    threeAlerts();
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> hooks.size() == 1);
    assertThat(hooks.get(0).getJsonObject("alert").getString("rule")).isEqualTo("cpu_high");
    JsonObject hot =
        get("/living-map/alerts?rule=too_hot")
            .bodyAsJsonObject()
            .getJsonArray("items")
            .getJsonObject(0);
    assertThat(hot.getBoolean("silenced")).isTrue();
    assertThat(hot.getJsonArray("silenced_by")).containsExactly(silence.getString("id"));

    JsonArray listed = get("/living-map/silences").bodyAsJsonObject().getJsonArray("items");
    assertThat(listed).hasSize(1);
    assertThat(listed.getJsonObject(0).getJsonObject("matchers").getString("rule"))
        .isEqualTo("too_hot");

    clock.advance(Duration.ofHours(2));
    assertThat(
            get("/living-map/silences")
                .bodyAsJsonObject()
                .getJsonArray("items")
                .getJsonObject(0)
                .getString("state"))
        .isEqualTo("expired");
    assertThat(
            http.delete(port, "localhost", "/living-map/silences/" + silence.getString("id"))
                .putHeader("X-Role", "admin")
                .send()
                .await()
                .statusCode())
        .isEqualTo(204);
    assertThat(
            http.delete(port, "localhost", "/living-map/silences/" + silence.getString("id"))
                .putHeader("X-Role", "admin")
                .send()
                .await()
                .statusCode())
        .isEqualTo(404);
    assertThat(get("/living-map/silences").bodyAsJsonObject().getJsonArray("items")).isEmpty();
  }

  @Test
  void badSilencesAre400NamingTheField() {
    Object[][] cases = {
      {new JsonObject().put("duration", "1h"), "matchers"},
      {new JsonObject().put("matchers", new JsonObject()).put("duration", "1h"), "matchers"},
      {
        new JsonObject().put("matchers", new JsonObject().put("rul", "x")).put("duration", "1h"),
        "matchers.rul"
      },
      {
        new JsonObject()
            .put("matchers", new JsonObject().put("rule", "nope"))
            .put("duration", "1h"),
        "matchers.rule"
      },
      {
        new JsonObject()
            .put("matchers", new JsonObject().put("severity", "bad"))
            .put("duration", "1h"),
        "matchers.severity"
      },
      {
        new JsonObject().put("matchers", new JsonObject().put("entity_id", "node:n1")), "expires_at"
      },
      {
        new JsonObject()
            .put("matchers", new JsonObject().put("entity_id", "node:n1"))
            .put("duration", "soon"),
        "duration"
      },
      {
        new JsonObject()
            .put("matchers", new JsonObject().put("entity_id", "node:n1"))
            .put("expires_at", "2020-01-01T00:00:00Z"),
        "expires_at"
      },
    };
    for (Object[] c : cases) {
      HttpResponse<Buffer> r = post("/living-map/silences", (JsonObject) c[0], true);
      assertThat(r.statusCode()).as(c[0].toString()).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getString("parameter")).as(c[0].toString()).isEqualTo(c[1]);
    }
    HttpResponse<Buffer> notJson =
        http.post(port, "localhost", "/living-map/silences")
            .putHeader("X-Role", "admin")
            .sendBuffer(Buffer.buffer("{nope"))
            .await();
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.bodyAsJsonObject().getString("parameter")).isEqualTo("body");
  }

  @Test
  void rulesAndDeadLettersAreListed() {
    JsonArray rules = get("/living-map/alerts/rules").bodyAsJsonObject().getJsonArray("items");
    assertThat(rules).hasSize(3);
    assertThat(rules.getJsonObject(0).getString("name")).isEqualTo("cpu_high");
    assertThat(rules.getJsonObject(0).getString("op")).isEqualTo(">");
    HttpResponse<Buffer> dead = get("/living-map/alerts/dead-letters");
    assertThat(dead.statusCode()).isEqualTo(200);
    assertThat(dead.bodyAsJsonObject().getJsonArray("items")).isEmpty();
  }
}
