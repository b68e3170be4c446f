package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.daarion.livingmap.config.Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Auth on ({@code jwt,apikey}): every route and the WebSocket refuse bad credentials, roles hold.
 */
class AuthTest {
  static final String READER_KEY = "reader-key-0123456789";
  static final String ADMIN_KEY = "admin-key-0123456789";
  static final String PLAIN_KEY = "legacy-plain-key";
  static TestServer server;
  static List<String> protectedGets;

  @BeforeAll
  static void start() throws Exception {
    server =
        new TestServer(
            TestServer.env(
                "LIVING_MAP_AUTH", "jwt,apikey",
                "LIVING_MAP_JWT_SECRET", Tokens.SECRET,
                "LIVING_MAP_JWT_LEEWAY", "0s",
                "LIVING_MAP_RATE_LIMIT", "off",
                "LIVING_MAP_API_KEYS",
                    "reader:"
                        + ApiKeys.hash(READER_KEY)
                        + ",ops:"
                        + ApiKeys.hash(ADMIN_KEY)
                        + ":living-map:admin"
                        + ",legacy:"
                        + PLAIN_KEY),
            true);
    server.seed();
    AccessPolicy policy = new AccessPolicy(false);
    protectedGets = new ArrayList<>();
    for (Route r : server.api.router().getRoutes()) {
      String path = r.getPath();
      if (path == null || (!r.isExactPath() && !path.contains(":"))) {
        continue;
      }
      if (r.methods() != null && !r.methods().contains(HttpMethod.GET)) {
        continue;
      }
      String concrete = path.replace(":id", "agent:sofia");
      if (policy.access(HttpMethod.GET, concrete) != AccessPolicy.Access.OPEN
          && !concrete.equals("/living-map/stream")
          && !protectedGets.contains(concrete)) {
        protectedGets.add(concrete);
      }
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static void assertRefused(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.uri() + " " + r.body()).isEqualTo(status);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getString("error")).isEqualTo(status == 401 ? "unauthorized" : "forbidden");
    assertThat(body.getString("detail")).isNotBlank();
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("at org.");
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
  }

  @Test
  void theRouterHasProtectedRoutesToCheck() {
    assertThat(protectedGets)
        .contains(
            "/living-map/health",
            "/living-map/snapshot",
            "/living-map/entities",
            "/living-map/entities/facets",
            "/living-map/entities/agent:sofia",
            "/metrics");
  }

  @Test
  void everyProtectedRouteRefusesMissingAndBadCredentials() {
    Instant hourAgo = Instant.now().minusSeconds(3600);
    Map<String, String[]> bad =
        Map.ofEntries(
            Map.entry("missing", new String[0]),
            Map.entry("malformed", new String[] {"Authorization", "Bearer not-a-jwt"}),
            Map.entry("malformed-3-parts", new String[] {"Authorization", "Bearer a.b.c"}),
            Map.entry("empty-bearer", new String[] {"Authorization", "Bearer "}),
            Map.entry("basic", new String[] {"Authorization", "Basic dXNlcjpwYXNz"}),
            Map.entry(
                "wrong-signature",
                new String[] {
                  "Authorization",
                  "Bearer " + Tokens.hs256(Tokens.reader(), "another-secret-another-secret-xx")
                }),
            Map.entry(
                "expired",
                new String[] {
                  "Authorization",
                  "Bearer " + Tokens.hs256(Tokens.claims("u", hourAgo, Principal.READ))
                }),
            Map.entry(
                "wrong-issuer",
                new String[] {
                  "Authorization", "Bearer " + Tokens.hs256(Tokens.reader().put("iss", "evil-auth"))
                }),
            Map.entry(
                "no-exp",
                new String[] {
                  "Authorization",
                  "Bearer " + Tokens.hs256(Tokens.reader().put("exp", (Object) null))
                }),
            Map.entry(
                "alg-none",
                new String[] {"Authorization", "Bearer " + Tokens.unsigned(Tokens.reader())}),
            Map.entry("wrong-api-key", new String[] {"X-API-Key", "nope"}),
            Map.entry("api-key-almost", new String[] {"X-API-Key", READER_KEY + "x"}));
    for (String path : protectedGets) {
      for (Map.Entry<String, String[]> c : bad.entrySet()) {
        if (c.getKey().equals("missing") && path.equals("/living-map/health")) {
          continue; // answered without checks: PresentedCredentialsTest
        }
        HttpResponse<String> r = server.get(path, c.getValue());
        assertRefused(r, 401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).as(c.getKey()).isPresent();
      }
    }
  }

  @Test
  void detailSaysWhyATokenWasRefused() {
    String expired =
        Tokens.hs256(Tokens.claims("u", Instant.now().minusSeconds(60), Principal.READ));
    assertThat(server.get("/living-map/entities", "Authorization", "Bearer " + expired).body())
        .contains("expired");
    String issuer = Tokens.hs256(Tokens.reader().put("iss", "evil"));
    assertThat(server.get("/living-map/entities", "Authorization", "Bearer " + issuer).body())
        .contains("issuer");
    String forged = Tokens.hs256(Tokens.reader(), "x".repeat(40));
    assertThat(server.get("/living-map/entities", "Authorization", "Bearer " + forged).body())
        .contains("signature");
  }

  @Test
  void validCredentialsPassOnEveryRoute() {
    String token = Tokens.hs256(Tokens.reader());
    for (String path : protectedGets) {
      for (String[] creds :
          List.of(
              new String[] {"Authorization", "Bearer " + token},
              new String[] {"X-API-Key", READER_KEY},
              new String[] {"X-API-Key", ADMIN_KEY},
              new String[] {"X-API-Key", PLAIN_KEY})) {
        HttpResponse<String> r = server.get(path, creds);
        assertThat(r.statusCode()).as(path + " " + creds[0] + " " + r.body()).isEqualTo(200);
      }
    }
  }

  @Test
  void rolesAreEnforced() {
    String noRoles = Tokens.hs256(Tokens.claims("u", Instant.now().plusSeconds(600)));
    for (String path : protectedGets) {
      assertRefused(server.get(path, "Authorization", "Bearer " + noRoles), 403);
    }
    String reader = Tokens.hs256(Tokens.reader());
    String admin =
        Tokens.hs256(Tokens.claims("root", Instant.now().plusSeconds(600), Principal.ADMIN));
    // Writes and /admin need living-map:admin; admins pass the gate (and meet the 404 beyond it).
    assertRefused(
        server.post("/living-map/admin/poll", "{}", "Authorization", "Bearer " + reader), 403);
    assertRefused(server.post("/living-map/admin/poll", "{}", "X-API-Key", READER_KEY), 403);
    assertRefused(server.post("/living-map/admin/poll", "{}"), 401);
    assertThat(
            server
                .post("/living-map/admin/poll", "{}", "Authorization", "Bearer " + admin)
                .statusCode())
        .isEqualTo(404);
    assertThat(server.post("/living-map/admin/poll", "{}", "X-API-Key", ADMIN_KEY).statusCode())
        .isEqualTo(404);
    // admin implies read
    assertThat(server.get("/living-map/entities", "Authorization", "Bearer " + admin).statusCode())
        .isEqualTo(200);
    // traversal cannot dodge the admin check
    assertRefused(
        server.post("/living-map/x/../admin/poll", "{}", "Authorization", "Bearer " + reader), 403);
  }

  @Test
  void requireRoleHandlerRefusesWithoutTheRole() {
    io.vertx.ext.web.Router router = io.vertx.ext.web.Router.router(server.vertx);
    AtomicInteger passed = new AtomicInteger();
    router
        .route()
        .handler(
            ctx -> {
              ctx.put(
                  Principal.CONTEXT_KEY,
                  new Principal("u", java.util.Set.of(Principal.READ), null, Principal.Method.JWT));
              ctx.next();
            });
    router
        .get("/x")
        .handler(AuthHandler.requireRole(Principal.ADMIN))
        .handler(ctx -> ctx.end("ok"));
    router
        .get("/y")
        .handler(AuthHandler.requireRole(Principal.READ))
        .handler(
            ctx -> {
              passed.incrementAndGet();
              ctx.end("ok");
            });
    int port =
        server.vertx.createHttpServer().requestHandler(router).listen(0).await().actualPort();
    var http =
        java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .build();
    try {
      var x =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + port + "/x"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertRefused(x, 403);
      var y =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + port + "/y"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(y.statusCode()).isEqualTo(200);
      assertThat(passed).hasValue(1);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void probesAndApiDescriptionNeedNoCredentials() {
    for (String path :
        List.of(
            "/living-map/health/live",
            "/living-map/health/ready",
            "/living-map/openapi.json",
            "/living-map/docs")) {
      assertThat(server.get(path).statusCode()).as(path).isEqualTo(200);
    }
    assertRefused(server.get("/metrics"), 401);
  }

  // ---- WebSocket ----

  static WebSocketConnectOptions ws(String uri) {
    return new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port).setURI(uri);
  }

  static int rejectedStatus(WebSocketConnectOptions o) {
    WebSocketClient client = server.vertx.createWebSocketClient();
    try {
      client.connect(o).await();
      throw new AssertionError("upgrade was accepted");
    } catch (UpgradeRejectedException e) {
      return e.getStatus();
    } finally {
      client.close();
    }
  }

  @Test
  void webSocketUpgradeRefusesBadCredentials() {
    String expired =
        Tokens.hs256(Tokens.claims("u", Instant.now().minusSeconds(60), Principal.READ));
    String forged = Tokens.hs256(Tokens.reader(), "y".repeat(40));
    String issuer = Tokens.hs256(Tokens.reader().put("iss", "other"));
    String noRoles = Tokens.hs256(Tokens.claims("u", Instant.now().plusSeconds(600)));
    assertThat(rejectedStatus(ws("/living-map/stream"))).isEqualTo(401);
    assertThat(rejectedStatus(ws("/living-map/stream?access_token=garbage"))).isEqualTo(401);
    assertThat(rejectedStatus(ws("/living-map/stream?access_token=" + expired))).isEqualTo(401);
    assertThat(rejectedStatus(ws("/living-map/stream?access_token=" + forged))).isEqualTo(401);
    assertThat(rejectedStatus(ws("/living-map/stream?access_token=" + issuer))).isEqualTo(401);
    assertThat(rejectedStatus(ws("/living-map/stream").addHeader("X-API-Key", "wrong")))
        .isEqualTo(401);
    assertThat(rejectedStatus(ws("/living-map/stream").setSubProtocols(List.of("bearer", forged))))
        .isEqualTo(401);
    assertThat(rejectedStatus(ws("/living-map/stream?access_token=" + noRoles))).isEqualTo(403);
  }

  static JsonObject firstMessage(WebSocketConnectOptions o, List<String> protocol) {
    WebSocketClient client = server.vertx.createWebSocketClient();
    try {
      java.util.concurrent.CompletableFuture<String> first =
          new java.util.concurrent.CompletableFuture<>();
      WebSocket socket = client.connect(o).await();
      socket.textMessageHandler(
          m -> {
            if (new JsonObject(m).getString("kind").equals("echo")) {
              first.complete(m);
            }
          });
      socket.writeTextMessage("hi");
      protocol.add(String.valueOf(socket.subProtocol()));
      String msg = first.get(10, java.util.concurrent.TimeUnit.SECONDS);
      socket.close().await();
      return new JsonObject(msg);
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      client.close();
    }
  }

  @Test
  void webSocketAcceptsHeaderQueryAndSubprotocolTokens() {
    String token = Tokens.hs256(Tokens.reader());
    List<String> protocols = new ArrayList<>();
    assertThat(
            firstMessage(
                    ws("/living-map/stream").addHeader("Authorization", "Bearer " + token),
                    protocols)
                .getString("subject"))
        .isEqualTo("user-1");
    assertThat(
            firstMessage(ws("/living-map/stream?access_token=" + token), protocols)
                .getString("subject"))
        .isEqualTo("user-1");
    assertThat(
            firstMessage(ws("/living-map/stream").addHeader("X-API-Key", READER_KEY), protocols)
                .getString("subject"))
        .isEqualTo("reader");
    List<String> echoed = new ArrayList<>();
    assertThat(
            firstMessage(ws("/living-map/stream").setSubProtocols(List.of("bearer", token)), echoed)
                .getString("subject"))
        .isEqualTo("user-1");
    assertThat(echoed).containsExactly(Authenticator.BEARER_SUBPROTOCOL);
  }

  @Test
  void aTokenThatExpiresClosesItsSocketWith4401() throws Exception {
    // exp is in whole seconds: at least one and at most two seconds from now.
    long exp = Instant.now().getEpochSecond() + 2;
    String token = Tokens.hs256(Tokens.claims("short", Instant.ofEpochSecond(exp), Principal.READ));
    WebSocketClient client = server.vertx.createWebSocketClient();
    try {
      WebSocket socket = client.connect(ws("/living-map/stream?access_token=" + token)).await();
      java.util.concurrent.atomic.AtomicReference<Short> code =
          new java.util.concurrent.atomic.AtomicReference<>();
      socket.closeHandler(v -> code.set(socket.closeStatusCode()));
      await().atMost(Duration.ofSeconds(6)).until(() -> code.get() != null);
      assertThat(code.get()).isEqualTo(StreamGuard.CLOSE_TOKEN_EXPIRED);
      assertThat(Instant.now().getEpochSecond()).isGreaterThanOrEqualTo(exp);
    } finally {
      client.close();
    }
  }

  @Test
  void plainKeysInConfigAreHashedAtRest() {
    Config c = server.config;
    assertThat(c.apiKeys)
        .extracting(Config.ApiKey::name)
        .containsExactly("reader", "ops", "legacy");
    assertThat(c.apiKeys.get(2).plain()).isTrue();
    assertThat(c.apiKeys.get(1).roles()).containsExactly(Principal.ADMIN);
    assertThat(new String(c.apiKeys.get(2).sha256(), java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain(PLAIN_KEY);
  }
}
