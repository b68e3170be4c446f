package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RS256 and ES256 tokens verified with keys from a JWKS served by a test HTTP server. */
class AuthJwksTest {
  static Vertx jwksVertx;
  static HttpServer jwksServer;
  static final AtomicReference<JsonArray> keys = new AtomicReference<>(new JsonArray());
  static final AtomicInteger fetches = new AtomicInteger();
  static TestServer server;
  static final KeyPair rsa1 = Tokens.rsa();
  static final KeyPair rsa2 = Tokens.rsa();
  static final KeyPair ec1 = Tokens.ec();

  @BeforeAll
  static void start() {
    jwksVertx = Vertx.vertx();
    keys.set(new JsonArray().add(Tokens.jwk("k1", rsa1)).add(Tokens.jwk("e1", ec1)));
    jwksServer =
        jwksVertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  fetches.incrementAndGet();
                  req.response()
                      .putHeader("Content-Type", "application/json")
                      .end(new JsonObject().put("keys", keys.get()).encode());
                })
            .listen(0)
            .await();
    server =
        new TestServer(
            TestServer.env(
                "LIVING_MAP_AUTH", "jwt",
                "LIVING_MAP_JWKS_URL",
                    "http://127.0.0.1:" + jwksServer.actualPort() + "/.well-known/jwks.json",
                "LIVING_MAP_JWT_AUDIENCE", "living-map",
                "LIVING_MAP_JWKS_MIN_REFRESH", "0s",
                "LIVING_MAP_RATE_LIMIT", "off"),
            false);
  }

  @AfterAll
  static void stop() {
    server.close();
    jwksVertx.close().await();
  }

  static JsonObject claims() {
    return Tokens.reader().put("aud", new JsonArray().add("living-map"));
  }

  static int status(String token) {
    return server.get("/living-map/entities", "Authorization", "Bearer " + token).statusCode();
  }

  @Test
  void rs256AndEs256TokensFromTheKeySetPass() {
    assertThat(status(Tokens.signed("RS256", "k1", rsa1.getPrivate(), claims()))).isEqualTo(200);
    assertThat(status(Tokens.signed("ES256", "e1", ec1.getPrivate(), claims()))).isEqualTo(200);
  }

  @Test
  void forgedWrongAudienceAndConfusedTokensAreRefused() {
    // signed by another key under a known kid
    assertThat(status(Tokens.signed("RS256", "k1", rsa2.getPrivate(), claims()))).isEqualTo(401);
    // wrong audience
    assertThat(
            status(
                Tokens.signed("RS256", "k1", rsa1.getPrivate(), Tokens.reader().put("aud", "x"))))
        .isEqualTo(401);
    // HS256 is not configured here (no shared secret): no HMAC-with-public-key confusion
    assertThat(status(Tokens.hs256(claims()))).isEqualTo(401);
    // expired
    assertThat(
            status(
                Tokens.signed(
                    "RS256",
                    "k1",
                    rsa1.getPrivate(),
                    Tokens.claims("u", Instant.now().minusSeconds(3600), Principal.READ)
                        .put("aud", "living-map"))))
        .isEqualTo(401);
    // an EC key id used with RS256
    assertThat(status(Tokens.signed("RS256", "e1", rsa1.getPrivate(), claims()))).isEqualTo(401);
  }

  @Test
  void anUnknownKidRefetchesTheKeySetSoRotationWorks() {
    assertThat(status(Tokens.signed("RS256", "k1", rsa1.getPrivate(), claims()))).isEqualTo(200);
    int before = fetches.get();
    // The auth-service rotates: k2 appears, k1 goes.
    keys.set(new JsonArray().add(Tokens.jwk("k2", rsa2)).add(Tokens.jwk("e1", ec1)));
    assertThat(status(Tokens.signed("RS256", "k2", rsa2.getPrivate(), claims()))).isEqualTo(200);
    assertThat(fetches.get()).isEqualTo(before + 1);
    // Cached: a second k2 token does not fetch again.
    assertThat(status(Tokens.signed("RS256", "k2", rsa2.getPrivate(), claims()))).isEqualTo(200);
    assertThat(fetches.get()).isEqualTo(before + 1);
    // A kid nobody publishes is refused after one more look.
    var r =
        server.get(
            "/living-map/entities",
            "Authorization",
            "Bearer " + Tokens.signed("RS256", "k9", rsa2.getPrivate(), claims()));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("unknown key id");
    // restore for other tests
    keys.set(new JsonArray().add(Tokens.jwk("k1", rsa1)).add(Tokens.jwk("e1", ec1)));
  }

  @Test
  void concurrentLookupsOfANewKidShareOneFetch() throws Exception {
    keys.set(
        new JsonArray()
            .add(Tokens.jwk("k1", rsa1))
            .add(Tokens.jwk("e1", ec1))
            .add(Tokens.jwk("k3", rsa2)));
    int before = fetches.get();
    String token = Tokens.signed("RS256", "k3", rsa2.getPrivate(), claims());
    var futures =
        java.util.stream.IntStream.range(0, 8)
            .mapToObj(
                i ->
                    server.http.sendAsync(
                        java.net.http.HttpRequest.newBuilder(server.uri("/living-map/entities"))
                            .header("Authorization", "Bearer " + token)
                            .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()))
            .toList();
    for (var f : futures) {
      assertThat(f.get().statusCode()).isEqualTo(200);
    }
    assertThat(fetches.get() - before).isBetween(1, 2);
  }

  @Test
  void jwksParsingSkipsKeysItCannotUse() {
    var parsed =
        Jwks.parse(
            new JsonObject()
                .put(
                    "keys",
                    new JsonArray(
                        List.of(
                            Tokens.jwk("ok", rsa1),
                            new JsonObject().put("kty", "oct").put("kid", "sym").put("k", "AAAA"),
                            new JsonObject().put("kty", "RSA").put("kid", "enc").put("use", "enc"),
                            new JsonObject().put("kty", "RSA").put("kid", "broken"))))
                .toBuffer());
    assertThat(parsed).containsOnlyKeys("ok");
  }
}
