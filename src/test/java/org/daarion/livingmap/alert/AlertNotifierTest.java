package org.daarion.livingmap.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhooks, Alertmanager and NATS against a real HTTP receiver started by the test. */
class AlertNotifierTest {
  private record Received(String path, String key, String body, long nanos) {}

  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-28T10:00:00Z"));
  private final List<Received> received = new CopyOnWriteArrayList<>();

  /** Path → how many requests to it still fail with 500 (-1: always). */
  private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();

  private final List<byte[]> published = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private HttpServer server;
  private int port;

  @BeforeEach
  void startReceiver() {
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              received.add(
                                  new Received(
                                      req.path(),
                                      req.getHeader("Idempotency-Key"),
                                      body.toString(),
                                      System.nanoTime()));
                              AtomicInteger left = failures.get(req.path());
                              boolean fail =
                                  left != null && (left.get() < 0 || left.getAndDecrement() > 0);
                              req.response().setStatusCode(fail ? 500 : 200).end();
                            }))
            .listen(0)
            .await();
    port = server.actualPort();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private HttpAlertNotifier notifier(List<String> paths, boolean alertmanager, int attempts) {
    return new HttpAlertNotifier(
        vertx,
        new HttpAlertNotifier.Targets(
            paths.stream().map(p -> URI.create("http://localhost:" + port + p)).toList(),
            alertmanager ? URI.create("http://localhost:" + port + "/am/") : null,
            "living_map.alerts",
            (subject, bytes) -> published.add(bytes),
            "http://map.example:7017",
            Duration.ofMinutes(1)),
        new RetryPolicy(
            attempts, Duration.ofMillis(20), Duration.ofSeconds(1), Duration.ofSeconds(5)),
        clock);
  }

  private static Alert alert(String id, String state) {
    Instant t = Instant.parse("2025-11-28T09:59:00Z");
    return new Alert(
        id,
        "cpu_high",
        state,
        Severity.CRITICAL,
        "node:n1",
        "node",
        "node:n1",
        null,
        0.97,
        "n1 CPU at 97%",
        Map.of("team", "infra"),
        t,
        t.plusSeconds(60),
        state.equals("resolved") ? t.plusSeconds(200) : null);
  }

  private List<Received> at(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  @Test
  void eachFiringReachesEachWebhookOnceWithAnIdempotencyKey() {
    HttpAlertNotifier n = notifier(List.of("/a", "/b"), false, 3);
    Alert a = alert("alert-1", "firing");
    n.firing(a);
    n.firing(a);
    n.resolved(alert("alert-1", "resolved"));
    n.firing(alert("alert-2", "firing"));
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> at("/a").size() == 3 && at("/b").size() == 3);
    assertThat(at("/a"))
        .extracting(Received::key)
        .containsExactlyInAnyOrder("alert-1:firing", "alert-1:resolved", "alert-2:firing");
    JsonObject body =
        at("/b").stream()
            .filter(r -> r.key().equals("alert-1:firing"))
            .map(r -> new JsonObject(r.body()))
            .findFirst()
            .orElseThrow();
    assertThat(body.getString("idempotency_key")).isEqualTo("alert-1:firing");
    assertThat(body.getString("status")).isEqualTo("firing");
    assertThat(body.getJsonObject("alert").getString("entity_id")).isEqualTo("node:n1");
    assertThat(body.getJsonObject("alert").getString("message")).isEqualTo("n1 CPU at 97%");
    assertThat(published).hasSize(3);
    assertThat(new JsonObject(new String(published.get(0))).getString("idempotency_key"))
        .isEqualTo("alert-1:firing");
    assertThat(n.deliveredCount()).isEqualTo(9);
  }

  @Test
  void aFailingWebhookIsRetriedWithGrowingDelaysUntilItAccepts() {
    failures.put("/flaky", new AtomicInteger(2));
    HttpAlertNotifier n = notifier(List.of("/flaky"), false, 4);
    n.firing(alert("alert-1", "firing"));
    await().atMost(Duration.ofSeconds(5)).until(() -> n.deliveredCount() == 2);
    List<Received> tries = at("/flaky");
    assertThat(tries).hasSize(3);
    assertThat(tries).extracting(Received::key).containsOnly("alert-1:firing");
    long first = (tries.get(1).nanos() - tries.get(0).nanos()) / 1_000_000;
    long second = (tries.get(2).nanos() - tries.get(1).nanos()) / 1_000_000;
    assertThat(first).isGreaterThanOrEqualTo(19);
    assertThat(second).isGreaterThanOrEqualTo(39);
    assertThat(n.retriedCount()).isEqualTo(2);
    assertThat(n.deadLetters()).isEmpty();
  }

  @Test
  void aWebhookThatNeverAcceptsEndsInTheDeadLetters() {
    failures.put("/down", new AtomicInteger(-1));
    HttpAlertNotifier n = notifier(List.of("/down"), false, 3);
    n.firing(alert("alert-1", "firing"));
    await().atMost(Duration.ofSeconds(5)).until(() -> !n.deadLetters().isEmpty());
    assertThat(at("/down")).hasSize(3);
    JsonObject dead = n.deadLetters().get(0);
    assertThat(dead.getString("idempotency_key")).isEqualTo("alert-1:firing");
    assertThat(dead.getInteger("attempts")).isEqualTo(3);
    assertThat(dead.getString("last_error")).isEqualTo("HTTP 500");
    assertThat(dead.getString("url")).endsWith("/down");
    assertThat(new JsonObject(dead.getString("body")).getString("status")).isEqualTo("firing");
    assertThat(n.failedCount()).isEqualTo(1);
  }

  @Test
  void alertmanagerGetsTheV2AlertsShape() {
    HttpAlertNotifier n = notifier(List.of(), true, 2);
    n.firing(alert("alert-1", "firing"));
    n.resolved(alert("alert-1", "resolved"));
    await().atMost(Duration.ofSeconds(5)).until(() -> at("/am/api/v2/alerts").size() == 2);
    JsonArray firing =
        at("/am/api/v2/alerts").stream()
            .filter(r -> r.key().equals("alert-1:firing"))
            .map(r -> new JsonArray(r.body()))
            .findFirst()
            .orElseThrow();
    assertThat(firing).hasSize(1);
    JsonObject a = firing.getJsonObject(0);
    assertThat(a.fieldNames())
        .containsExactlyInAnyOrder("labels", "annotations", "startsAt", "endsAt", "generatorURL");
    assertThat(a.getJsonObject("labels").getMap())
        .containsEntry("alertname", "cpu_high")
        .containsEntry("severity", "critical")
        .containsEntry("entity_id", "node:n1")
        .containsEntry("team", "infra");
    assertThat(a.getJsonObject("annotations").getString("summary")).isEqualTo("n1 CPU at 97%");
    assertThat(a.getString("startsAt")).isEqualTo("2025-11-28T10:00:00Z");
    assertThat(a.getString("endsAt"))
        .as("four resend intervals ahead")
        .isEqualTo("2025-11-28T10:04:00Z");
    assertThat(a.getString("generatorURL"))
        .isEqualTo("http://map.example:7017/living-map/alerts?entity_id=node%3An1");
    JsonObject resolved =
        at("/am/api/v2/alerts").stream()
            .filter(r -> r.key().equals("alert-1:resolved"))
            .map(r -> new JsonArray(r.body()).getJsonObject(0))
            .findFirst()
            .orElseThrow();
    assertThat(resolved.getString("endsAt"))
        .as("when it resolved")
        .isEqualTo("2025-11-28T10:02:20Z");
    n.stillFiring(List.of(alert("alert-2", "firing"), alert("alert-3", "firing")));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                at("/am/api/v2/alerts").stream()
                    .anyMatch(r -> new JsonArray(r.body()).size() == 2));
  }
}
