package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.StateOwner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated bad input against the real server with auth on: random and malicious paths, query
 * parameters, headers and bodies over HTTP; raw malformed HTTP on sockets; random WebSocket frames;
 * random NATS payloads through the event parser and intake. No 5xx, no crash, no lost valid event.
 */
class SecurityFuzzTest {
  static final String KEY = "fuzz-key-0123456789";
  static TestServer server;
  static final Random rnd = new Random(20240607L);

  static final String[] TEMPLATES = {
    "/living-map/health",
    "/living-map/health/live",
    "/living-map/health/ready",
    "/living-map/snapshot",
    "/living-map/entities",
    "/living-map/entities/facets",
    "/living-map/entities/{id}",
    "/living-map/history",
    "/living-map/stream",
    "/metrics",
    "/living-map/openapi.json",
    "/living-map/docs",
    "/",
    "/living-map",
    "/living-map/admin/poll",
    "/index.html",
    "/assets/{id}",
    "/living-map/alerts/{id}/ack"
  };
  static final String[] PARAMS = {
    "at",
    "type",
    "layer",
    "status",
    "q",
    "sort",
    "fields",
    "limit",
    "offset",
    "cursor",
    "since",
    "until",
    "event_type",
    "entity_id",
    "access_token",
    "depth",
    "root",
    "bucket"
  };
  static final String[] NASTY = {
    "",
    "-1",
    "0",
    "999999999999999999999",
    "NaN",
    "1e309",
    "-0",
    "null",
    "true",
    "[]",
    "{}",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%00",
    "\u0000",
    "\u202e",
    "😀",
    "ünïcödé",
    "2024-13-45T99:99:99Z",
    "9999-12-31T23:59:59Z",
    "-id",
    "--id",
    "id,label,data,data",
    "a".repeat(3000),
    "${jndi:ldap://x/a}",
    "%s%s%s%n",
    "\\x41",
    "microdao",
    "city",
    "agent:sofia",
    "node:gpu-1",
    "*",
    ">",
    "eyJhbGciOiJub25lIn0.e30.",
    "1;DROP TABLE living_map_history",
    "0x7fffffff",
    "2147483648",
    "-2147483649",
    " ",
    "\t"
  };

  @BeforeAll
  static void start() throws Exception {
    server =
        new TestServer(
            TestServer.env(
                "LIVING_MAP_AUTH", "jwt,apikey",
                "LIVING_MAP_JWT_SECRET", Tokens.SECRET,
                "LIVING_MAP_API_KEYS", "fuzz:" + ApiKeys.hash(KEY),
                "LIVING_MAP_RATE_LIMIT", "off",
                "LIVING_MAP_WS_FRAME_RATE", "off",
                "LIVING_MAP_WS_CONNECT_RATE", "off"),
            true);
    server.seed();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String pick(String[] a) {
    return a[rnd.nextInt(a.length)];
  }

  static String randomText(int max) {
    int n = rnd.nextInt(max + 1);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      int kind = rnd.nextInt(10);
      if (kind < 6) {
        sb.append((char) (0x20 + rnd.nextInt(0x5f)));
      } else if (kind < 8) {
        sb.append((char) rnd.nextInt(0x20));
      } else {
        sb.appendCodePoint(0x80 + rnd.nextInt(0x2ff80));
      }
    }
    return sb.toString();
  }

  static String visible(int max) {
    int n = rnd.nextInt(max + 1);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append((char) (0x21 + rnd.nextInt(0x5e)));
    }
    return sb.toString();
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String randomPath() {
    String t = pick(TEMPLATES);
    String id =
        switch (rnd.nextInt(6)) {
          case 0 -> enc(pick(NASTY));
          case 1 -> enc(randomText(40));
          case 2 -> "..%2F..%2F..%2Fetc%2Fpasswd";
          case 3 -> "%2e%2e/%2e%2e/" + enc(visible(10));
          case 4 -> enc("x".repeat(rnd.nextInt(5000)));
          default -> "agent:sofia";
        };
    String p = t.replace("{id}", id);
    return switch (rnd.nextInt(8)) {
      case 0 -> p + "/../" + enc(visible(8));
      case 1 -> p + "//" + enc(randomText(10));
      case 2 -> "/living-map/" + enc(randomText(30));
      case 3 -> p + "/";
      default -> p;
    };
  }

  static String randomQuery() {
    int n = rnd.nextInt(6);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "?" : "&");
      String name = rnd.nextInt(5) == 0 ? enc(randomText(10)) : pick(PARAMS);
      String value = rnd.nextBoolean() ? pick(NASTY) : randomText(60);
      sb.append(name).append('=').append(enc(value));
    }
    return sb.toString();
  }

  static List<String> randomHeaders() {
    List<String> h = new ArrayList<>();
    switch (rnd.nextInt(7)) {
      case 0, 1, 2 -> {
        h.add("X-API-Key");
        h.add(KEY);
      }
      case 3 -> {
        h.add("Authorization");
        h.add("Bearer " + visible(200));
      }
      case 4 -> {
        h.add("Authorization");
        String valid = Tokens.hs256(Tokens.reader());
        char[] c = valid.toCharArray();
        c[rnd.nextInt(c.length)] = (char) (0x21 + rnd.nextInt(0x5e)); // one flipped char
        h.add("Bearer " + new String(c));
      }
      case 5 -> {
        h.add("X-API-Key");
        h.add(visible(100));
      }
      default -> {}
    }
    String[] extra = {
      "Accept",
      "If-None-Match",
      "Origin",
      "X-Forwarded-For",
      "Content-Type",
      "Accept-Encoding",
      "Range"
    };
    for (int i = rnd.nextInt(3); i > 0; i--) {
      h.add(pick(extra));
      h.add(visible(120));
    }
    return h;
  }

  @Test
  void generatedBadInputNeverCausesA5xxOrACrash() throws Exception {
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    Semaphore inFlight = new Semaphore(16);
    int httpCases = 8000;
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = 0; i < httpCases; i++) {
      String target = randomPath() + randomQuery();
      HttpRequest.Builder b;
      try {
        b = HttpRequest.newBuilder(server.uri(target)).timeout(Duration.ofSeconds(20));
      } catch (IllegalArgumentException e) {
        b =
            HttpRequest.newBuilder(server.uri("/living-map/" + enc(target)))
                .timeout(Duration.ofSeconds(20));
      }
      switch (rnd.nextInt(10)) {
        case 0 ->
            b.POST(
                HttpRequest.BodyPublishers.ofString(
                    randomText(rnd.nextInt(4) == 0 ? 100_000 : 500)));
        case 1 -> b.PUT(HttpRequest.BodyPublishers.ofString(randomText(200)));
        case 2 -> b.DELETE();
        case 3 -> b.method("OPTIONS", HttpRequest.BodyPublishers.noBody());
        default -> b.GET();
      }
      List<String> h = randomHeaders();
      for (int j = 0; j < h.size(); j += 2) {
        b.header(h.get(j), h.get(j + 1));
      }
      HttpRequest req = b.build();
      inFlight.acquire();
      all.add(
          server
              .http
              .sendAsync(req, HttpResponse.BodyHandlers.ofString())
              .whenComplete(
                  (r, err) -> {
                    inFlight.release();
                    if (err != null) {
                      failures.add(req.method() + " " + req.uri() + " -> " + err);
                      return;
                    }
                    statuses
                        .computeIfAbsent(r.statusCode(), k -> new AtomicInteger())
                        .incrementAndGet();
                    if (r.statusCode() >= 500) {
                      failures.add(
                          req.method()
                              + " "
                              + req.uri()
                              + " -> "
                              + r.statusCode()
                              + " "
                              + r.body());
                    }
                  }));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).exceptionally(e -> null).join();
    assertThat(failures).as("HTTP cases that failed").isEmpty();
    assertThat(statuses.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(httpCases);
    assertThat(statuses).containsKeys(200, 401, 404); // the mix reached auth, routes and misses
    int raw = rawSocketCases(1500);
    int frames = webSocketFrames(1000);
    System.out.println(
        "fuzz: "
            + httpCases
            + " HTTP, "
            + raw
            + " raw, "
            + frames
            + " WS frames; statuses "
            + new TreeMap<>(statuses));
    // still alive and correct
    assertThat(server.get("/living-map/health/live").statusCode()).isEqualTo(200);
    assertThat(server.get("/living-map/health", "X-API-Key", KEY).statusCode()).isEqualTo(200);
    assertThat(server.get("/living-map/entities", "X-API-Key", KEY).statusCode()).isEqualTo(200);
  }

  /** Literally malformed HTTP, one connection each; the answer, if any, is never 5xx. */
  static int rawSocketCases(int n) throws Exception {
    String[] lines = {
      "GET /../../../../etc/passwd HTTP/1.1",
      "GET /living-map/../../etc/passwd HTTP/1.1",
      "GET /living-map/entities/%ff%fe%00 HTTP/1.1",
      "GET /living-map/%2e%2e/%2e%2e/metrics HTTP/1.1",
      "GET //living-map//entities HTTP/1.1",
      "GET /living-map/entities?limit=%zz HTTP/1.1",
      "GET http://evil/living-map/health HTTP/1.1",
      "GET * HTTP/1.1",
      "BREW /living-map/health HTTP/1.1",
      "GET /living-map/health HTTP/9.9",
      "GET /living-map/health",
      "GET  HTTP/1.1",
      "\u0000\u0001\u0002 garbage",
      "POST /living-map/admin/poll HTTP/1.1"
    };
    int done = 0;
    for (int i = 0; i < n; i++) {
      StringBuilder req = new StringBuilder();
      int kind = rnd.nextInt(6);
      if (kind == 0) {
        req.append("GET /living-map/entities?q=")
            .append("A".repeat(5000 + rnd.nextInt(20000)))
            .append(" HTTP/1.1\r\n");
      } else if (kind == 1) {
        req.append(randomText(200)).append("\r\n");
      } else {
        req.append(pick(lines)).append("\r\n");
      }
      req.append("Host: 127.0.0.1\r\n");
      switch (rnd.nextInt(7)) {
        case 0 -> req.append("X-Big: ").append("b".repeat(20_000)).append("\r\n");
        case 1 -> req.append("NoColonHeader\r\n");
        case 2 -> req.append("Content-Length: -5\r\n");
        case 3 -> req.append("Transfer-Encoding: chunked\r\n\r\nzz\r\nnot chunked\r\n");
        case 4 -> req.append("X-API-Key: ").append(KEY).append("\r\nContent-Length: 4\r\n\r\nabcd");
        case 5 ->
            req.append("Authorization: Bearer ")
                .append(randomText(50).replace("\r", "").replace("\n", ""))
                .append("\r\n");
        default -> {}
      }
      req.append("Connection: close\r\n\r\n");
      try (Socket s = new Socket("127.0.0.1", server.port)) {
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(req.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] head = in.readNBytes(12);
        String status = new String(head, StandardCharsets.ISO_8859_1);
        boolean badVersion = req.indexOf("HTTP/9.9") > 0;
        if (status.startsWith("HTTP/") && !badVersion) {
          assertThat(status.charAt(9))
              .as("raw case: " + req.substring(0, Math.min(120, req.length())))
              .isNotEqualTo('5');
        }
        if (badVersion && status.startsWith("HTTP/")) {
          // an unknown HTTP version is refused by Vert.x's HTTP codec before any handler runs, with
          // 501/505 (the protocol's "not supported" answers), not by a failure of ours
          assertThat(
                  status.charAt(9) == '4'
                      || status.startsWith("501", 9)
                      || status.startsWith("505", 9))
              .as(status)
              .isTrue();
        }
      } catch (java.net.SocketException e) {
        // the server may drop a connection that is not HTTP: that is not a crash
      }
      done++;
    }
    return done;
  }

  /** Random text and binary frames to the stream endpoint; the socket never dies with 1011. */
  static int webSocketFrames(int n) throws Exception {
    WebSocketClient client = server.vertx.createWebSocketClient();
    AtomicReference<Short> closed = new AtomicReference<>();
    AtomicInteger answers = new AtomicInteger();
    try {
      WebSocket ws =
          client
              .connect(
                  new WebSocketConnectOptions()
                      .setHost("127.0.0.1")
                      .setPort(server.port)
                      .setURI("/living-map/stream")
                      .addHeader("X-API-Key", KEY))
              .await();
      ws.textMessageHandler(m -> answers.incrementAndGet());
      ws.closeHandler(v -> closed.set(ws.closeStatusCode()));
      for (int i = 0; i < n; i++) {
        if (rnd.nextBoolean()) {
          ws.writeTextMessage(
              rnd.nextBoolean()
                  ? randomText(300)
                  : new JsonObject()
                      .put("kind", pick(NASTY))
                      .put("filters", new JsonArray().add(pick(NASTY)))
                      .encode());
        } else {
          byte[] b = new byte[rnd.nextInt(2000)];
          rnd.nextBytes(b);
          ws.writeBinaryMessage(Buffer.buffer(b));
        }
      }
      ws.writeTextMessage("last");
      await().atMost(Duration.ofSeconds(20)).until(() -> answers.get() > 0 || closed.get() != null);
      if (closed.get() != null) {
        assertThat(closed.get()).isNotEqualTo((short) 1011);
      }
      return n;
    } finally {
      client.close();
    }
  }

  @Test
  void randomNatsPayloadsNeverThrowAndLoseNoValidEvent() throws Exception {
    String[] subjects = {
      "node.metrics.gpu-1",
      "agent.event.status",
      "usage.llm",
      "usage.agent",
      "dao.event.created",
      "microdao.event.updated",
      "city.event.alert",
      "messaging.message.created",
      "unknown.subject",
      "",
      "node.metrics",
      "a.b.c.d.e.f"
    };
    EventParser parser = new EventParser(4096);
    int cases = 10_000;
    int ok = 0;
    for (int i = 0; i < cases; i++) {
      byte[] data = randomPayload(i);
      EventParser.Result r =
          parser.parse(
              pick(subjects), data, rnd.nextBoolean() ? "m" + i : null, null, Instant.now());
      assertThat(r).isNotNull();
      assertThat(r.ok()).isEqualTo(r.rejection() == null);
      assertThat(r.event() == null).isEqualTo(r.rejection() != null);
      ok += r.ok() ? 1 : 0;
    }
    assertThat(ok).isPositive().isLessThan(cases);

    // Through the intake into a real state owner, valid events interleaved with garbage: every
    // valid event is sequenced.
    LiveState state = new LiveState("fuzz", 0);
    try (StateOwner owner = new StateOwner(state, 1024, Clock.systemUTC())) {
      owner.start();
      AtomicInteger rejected = new AtomicInteger();
      EventIntake intake =
          new EventIntake(parser, owner, rej -> rejected.incrementAndGet(), Clock.systemUTC());
      int valid = 0;
      for (int i = 0; i < 3000; i++) {
        if (i % 3 == 0) {
          JsonObject e =
              new JsonObject()
                  .put("node_id", "n" + (i % 11))
                  .put("cpu", rnd.nextDouble())
                  .put("gpu", rnd.nextDouble());
          assertThat(
                  intake.accept(
                      "node.metrics.n" + (i % 11), e.toBuffer().getBytes(), "v" + i, null))
              .isTrue();
          valid++;
        } else {
          intake.accept(pick(subjects), randomPayload(i), null, null);
        }
      }
      int expectedValid = valid;
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> owner.queueDepth() == 0 && state.seq() == intake.acceptedCount());
      assertThat(intake.acceptedCount()).isGreaterThanOrEqualTo(expectedValid);
      assertThat(intake.acceptedCount() + intake.rejectedCount()).isEqualTo(3000);
      assertThat(rejected.get()).isEqualTo((int) intake.rejectedCount());
    }
  }

  static byte[] randomPayload(int i) {
    switch (i % 6) {
      case 0 -> {
        byte[] b = new byte[rnd.nextInt(300)];
        rnd.nextBytes(b);
        return b;
      }
      case 1 -> {
        return randomText(200).getBytes(StandardCharsets.UTF_8);
      }
      case 2 -> {
        JsonObject o = new JsonObject();
        String[] fields = {
          "node_id",
          "agent_id",
          "cpu",
          "gpu",
          "status",
          "dao_id",
          "microdao_id",
          "total_tokens",
          "success",
          "changes",
          "entity_id",
          "id"
        };
        for (int k = rnd.nextInt(6); k > 0; k--) {
          Object v =
              switch (rnd.nextInt(7)) {
                case 0 -> rnd.nextDouble();
                case 1 -> pick(NASTY);
                case 2 -> rnd.nextBoolean();
                case 3 -> new JsonArray().add(1).add("x");
                case 4 -> new JsonObject().put("deep", new JsonObject().put("deeper", 1));
                case 5 -> null;
                default -> Long.MAX_VALUE;
              };
          o.put(pick(fields), v);
        }
        return o.toBuffer().getBytes();
      }
      case 3 -> {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        return (rnd.nextBoolean() ? deep : "{\"a\":" + deep + "}").getBytes(StandardCharsets.UTF_8);
      }
      case 4 -> {
        byte[] valid = new JsonObject().put("node_id", "x").put("cpu", 0.5).toBuffer().getBytes();
        valid[rnd.nextInt(valid.length)] = (byte) rnd.nextInt(256);
        return valid;
      }
      default -> {
        return ("\"" + "x".repeat(rnd.nextInt(6000)) + "\"").getBytes(StandardCharsets.UTF_8);
      }
    }
  }
}
