package org.daarion.livingmap.adversary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.HostileEvents;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.RawHttp;
import org.daarion.livingmap.testing.TestApps;

/**
 * The adversary suite (issue 13 part 5): generated paths, query strings, events and WebSocket
 * client frames against one real service (real NATS core, real PostgreSQL). Oracles: no 5xx and no
 * dropped connection; every error body is JSON; every good event interleaved with bad ones is
 * applied and stored; the stream answers bad frames with JSON error frames or a documented close
 * code, never 1011. How many tries each property makes is {@code adversary.tries} (a Maven property
 * fed to jqwik's {@code jqwik.tries.default}; short in the normal test command, long in {@code
 * bench/adversary.sh}). Other workers' oracles (hidden ids, heap) join this suite under the same
 * tag.
 */
@Tag("adversary")
class AdversaryTest {
  private static NatsServerProcess nats;
  private static Application app;
  private static Connection publisher;
  private static RawHttp raw;
  private static Http http;
  private static Vertx vertx;
  private static final AtomicInteger RUN = new AtomicInteger();

  @BeforeContainer
  static void start() throws Exception {
    nats = NatsServerProcess.start();
    app =
        TestApps.start(
            TestApps.config(
                Map.of(
                    "NATS_URL", nats.url(),
                    "LIVING_MAP_NATS_MODE", "core",
                    "LIVING_MAP_SIMULATOR", "off",
                    "LIVING_MAP_RATE_LIMIT", "off")));
    publisher = Nats.connect(nats.url());
    raw = new RawHttp(app.port());
    http = new Http(app.port());
    vertx = Vertx.vertx();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> http.get("/living-map/health/ready").status() == 200);
  }

  @AfterContainer
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (publisher != null) {
      publisher.close();
    }
    if (app != null) {
      app.close();
    }
    if (nats != null) {
      nats.close();
    }
  }

  // ---- oracles ----

  private static void assertAnswered(String what, RawHttp.Answer a, boolean head) {
    assertThat(a.status()).as(what + " was answered").isPositive();
    assertThat(a.status()).as(what + " " + a.body()).isLessThan(500);
    if (a.status() >= 400 && !head) {
      assertThat(a.jsonBody()).as(what + " error body is JSON: " + a.body()).isTrue();
      assertThat(a.json().getString("error")).as(what).isNotBlank();
      assertThat(a.body()).as(what).doesNotContain("ERROR:").doesNotContain("Exception");
    }
  }

  // ---- paths ----

  private static final List<String> ROUTES =
      List.of(
          "/living-map/health",
          "/living-map/snapshot",
          "/living-map/entities",
          "/living-map/entities/facets",
          "/living-map/entities/{id}",
          "/living-map/history",
          "/living-map/history/stats",
          "/living-map/snapshots",
          "/living-map/rejected",
          "/living-map/sources",
          "/living-map/graph",
          "/living-map/alerts",
          "/living-map/alerts/{id}",
          "/living-map/alerts/{id}/ack",
          "/living-map/silences",
          "/living-map/silences/{id}",
          "/living-map/events",
          "/living-map/admin/poll",
          "/living-map/openapi.json",
          "/metrics",
          "/",
          "/living-map",
          "/assets/{id}",
          "/{id}");

  /** A path segment as an attacker writes it: escaped or not, malformed or not. */
  @Provide
  static Arbitrary<String> segment() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            "node:n1",
            "agent:a1",
            "%zz",
            "%1",
            "%",
            "%00",
            "a%00b",
            "%C3%28",
            "%ff%fe",
            "..",
            "%2e%2e",
            "%2f",
            "..%2f..%2fetc%2fpasswd",
            "%25",
            "x%",
            "%u0041",
            "%e2%82",
            "%0d%0aSet-Cookie:x=y",
            "%7b%7d",
            "🙂",
            "a b",
            "%20",
            ";",
            "%3b",
            "~",
            "*"),
        Arbitraries.strings()
            .withCharRange('!', '~')
            .ofMaxLength(20)
            .filter(s -> !s.contains("?") && !s.contains("#") && !s.contains("/")),
        Arbitraries.strings()
            .ofMaxLength(12)
            .map(s -> java.net.URLEncoder.encode(s, StandardCharsets.UTF_8)));
  }

  @Property
  void craftedPathsGetA4xxJsonOrAnAnswer(
      @ForAll("methods") String method,
      @ForAll("routeTemplates") String template,
      @ForAll("segment") String id) {
    String path = template.replace("{id}", id).replace(" ", "%20");
    RawHttp.Answer a = raw.send(method, path);
    assertAnswered(method + " " + path, a, method.equals("HEAD"));
  }

  @Provide
  static Arbitrary<String> methods() {
    return Arbitraries.of("GET", "GET", "GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS");
  }

  @Provide
  static Arbitrary<String> routeTemplates() {
    return Arbitraries.of(ROUTES);
  }

  // ---- query strings ----

  private static final List<String> PARAMS =
      List.of(
          "at",
          "since",
          "until",
          "event_type",
          "entity_id",
          "entity_type",
          "source_service",
          "limit",
          "offset",
          "before_seq",
          "after_seq",
          "epoch",
          "cursor",
          "type",
          "layer",
          "status",
          "q",
          "sort",
          "fields",
          "bucket",
          "depth",
          "id",
          "layers",
          "types",
          "events",
          "max_rate",
          "batch",
          "since_seq");

  @Provide
  static Arbitrary<String> values() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            "",
            "-1",
            "0",
            "1",
            "1000",
            "1001",
            "99999999999999999999",
            "1e400",
            "NaN",
            "-0",
            "%zz",
            "%",
            "%00",
            "a%00b",
            "%C3%28",
            "2026-01-01T00:00:00Z",
            "%2B999999999-01-01T00:00:00Z",
            "-999999999-01-01",
            "0000-01-01",
            "9999-12-31",
            "10000-01-01",
            "2026-13-45",
            "node.%3E",
            "%3E.%3E",
            "*",
            "node.*.*.*.*",
            "1h",
            "0s",
            "99999d",
            "%27%20OR%201%3D1--",
            "%3Cscript%3E",
            "a,b,,c",
            "%2C%2C"),
        Arbitraries.strings()
            .ofMaxLength(40)
            .map(s -> java.net.URLEncoder.encode(s, StandardCharsets.UTF_8)),
        Arbitraries.strings()
            .withCharRange('!', '~')
            .ofMaxLength(30)
            .filter(s -> !s.contains("#") && !s.contains("&")));
  }

  @Property
  void craftedQueryStringsGetA4xxJsonOrAnAnswer(
      @ForAll("getRoutes") String route, @ForAll("queries") String query) {
    String target = route + "?" + query.replace(" ", "%20");
    assertAnswered("GET " + target, raw.send("GET", target), false);
  }

  @Provide
  static Arbitrary<String> getRoutes() {
    return Arbitraries.of(
        "/living-map/snapshot",
        "/living-map/entities",
        "/living-map/entities/facets",
        "/living-map/history",
        "/living-map/history/stats",
        "/living-map/snapshots",
        "/living-map/rejected",
        "/living-map/graph",
        "/living-map/alerts",
        "/living-map/silences",
        "/living-map/entities/node:n1");
  }

  @Provide
  static Arbitrary<String> queries() {
    return Combinators.combine(Arbitraries.of(PARAMS), values())
        .as((k, v) -> k + "=" + v)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4)
        .map(kv -> String.join("&", kv));
  }

  // ---- events ----

  /**
   * Good events (a subject of this try's own, numbered) interleaved with hostile ones, over NATS
   * core and {@code POST /living-map/events}: every good one is in history and the service answers
   * after them.
   */
  @Property
  void goodEventsAmongBadOnesAreNeverLost(
      @ForAll("badEvents") List<HostileEvents.Raw> bad,
      @ForAll("goodCount") int good,
      @ForAll boolean viaHttp)
      throws Exception {
    // A subject the service subscribes to, of this try's own.
    String subject = "agent.event.adversary_t" + RUN.incrementAndGet();
    int b = 0;
    for (int i = 0; i < good; i++) {
      while (b < bad.size() && b <= i * bad.size() / Math.max(1, good)) {
        HostileEvents.Raw r = bad.get(b++);
        send(viaHttp, r.subject(), r.json());
      }
      send(viaHttp, subject, new JsonObject().put("n", i).put("agent_id", "adv").encode());
    }
    while (b < bad.size()) {
      HostileEvents.Raw r = bad.get(b++);
      send(viaHttp, r.subject(), r.json());
    }
    publisher.flush(Duration.ofSeconds(10));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> storedCount(subject) == good);
    JsonArray items =
        http.get("/living-map/history?limit=1000&event_type=" + subject)
            .json()
            .getJsonArray("items");
    assertThat(items.stream().map(o -> ((JsonObject) o).getJsonObject("payload").getInteger("n")))
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.IntStream.range(0, good).boxed().toList());
    assertThat(http.get("/living-map/snapshot").status()).isEqualTo(200);
  }

  private static long storedCount(String subject) {
    Http.Response r = http.get("/living-map/history?limit=1000&event_type=" + subject);
    return r.status() == 200 ? r.json().getJsonArray("items").size() : -1;
  }

  private static void send(boolean viaHttp, String subject, String json) {
    if (!viaHttp) {
      publisher.publish(subject, json.getBytes(StandardCharsets.UTF_8));
      return;
    }
    // The body carries the payload as JSON when it is JSON, else as the text it is.
    String body;
    try {
      body =
          new JsonObject().put("event_type", subject).put("payload", new JsonObject(json)).encode();
    } catch (RuntimeException notAnObject) {
      body = new JsonObject().put("event_type", subject).put("payload", json).encode();
    }
    Http.Response r = http.post("/living-map/events", body);
    assertThat(r.status()).as(body + " -> " + r.body()).isLessThan(500);
    if (r.status() >= 400) {
      assertThat(new JsonObject(r.body()).getString("error")).isNotBlank();
    }
  }

  @Provide
  static Arbitrary<List<HostileEvents.Raw>> badEvents() {
    return HostileEvents.event().list().ofMaxSize(15);
  }

  @Provide
  static Arbitrary<Integer> goodCount() {
    return Arbitraries.integers().between(1, 10);
  }

  // ---- WebSocket client frames ----

  /** A client message: a known op with hostile fields, junk text, or bytes. */
  @Provide
  static Arbitrary<Object> frames() {
    Arbitrary<String> op = Arbitraries.of("subscribe", "unsubscribe", "resume", "ping", "", "x");
    Arbitrary<Object> opFrame =
        Combinators.combine(
                op,
                Arbitraries.of("layers", "types", "entities", "events", "since_seq", "epoch"),
                HostileEvents.value(2))
            .as((o, k, v) -> (Object) ("{\"op\":\"" + o + "\",\"" + k + "\":" + v + "}"));
    return Arbitraries.oneOf(
        opFrame,
        HostileEvents.payload().map(p -> (Object) p),
        Arbitraries.strings().ofMaxLength(200).map(s -> (Object) s),
        Arbitraries.integers()
            .between(60_000, 100_000)
            .map(n -> (Object) ("{\"op\":\"ping\",\"pad\":\"" + "x".repeat(n) + "\"}")),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(bytes -> (Object) bytes));
  }

  @Property
  void webSocketClientFramesGetErrorFramesOrADocumentedClose(
      @ForAll("streamQueries") String query, @ForAll("frameLists") List<Object> frames)
      throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    AtomicReference<Short> closedWith = new AtomicReference<>();
    WebSocket ws;
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      ws =
          client
              .connect(
                  new WebSocketConnectOptions()
                      .setHost("127.0.0.1")
                      .setPort(app.port())
                      .setURI("/living-map/stream" + query))
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException refused) {
      // An upgrade refused for a bad query parameter: a 400 with a JSON body.
      RawHttp.Answer a =
          raw.send(
              "GET",
              "/living-map/stream" + query,
              "Upgrade: websocket",
              "Connection: Upgrade",
              "Sec-WebSocket-Version: 13",
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
      assertAnswered("upgrade " + query, a, false);
      assertThat(a.status()).isEqualTo(400);
      client.close();
      return;
    }
    ws.textMessageHandler(received::add);
    ws.closeHandler(v -> closedWith.set(ws.closeStatusCode()));
    await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
    for (Object f : frames) {
      if (closedWith.get() != null) {
        break;
      }
      if (f instanceof byte[] bytes) {
        ws.writeBinaryMessage(Buffer.buffer(bytes));
      } else {
        ws.writeTextMessage((String) f);
      }
    }
    ws.writeTextMessage("{\"op\":\"ping\"}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                closedWith.get() != null
                    || received.stream().anyMatch(t -> t.contains("\"pong\"")));
    for (String text : received) {
      JsonObject frame = new JsonObject(text.split("\n")[0]);
      assertThat(frame.getString("kind")).as(text).isNotBlank();
    }
    Short code = closedWith.get();
    if (code != null) {
      assertThat(code).as("close code").isIn((short) 1000, (short) 1008, (short) 1009);
    }
    client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Provide
  static Arbitrary<List<Object>> frameLists() {
    return frames().list().ofMaxSize(8);
  }

  @Provide
  static Arbitrary<String> streamQueries() {
    return Arbitraries.oneOf(
        Arbitraries.just(""),
        Combinators.combine(
                Arbitraries.of("layers", "types", "entities", "events", "max_rate", "batch"),
                Arbitraries.of(
                    "nodes",
                    "moon",
                    "node",
                    "node:n1",
                    "node.metrics.*",
                    "%3E",
                    "0",
                    "5",
                    "1",
                    "70000",
                    "1e400"))
            .as((k, v) -> "?" + k + "=" + v));
  }
}
