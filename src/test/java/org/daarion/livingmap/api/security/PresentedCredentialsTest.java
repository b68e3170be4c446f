package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 part 4: a presented credential that is wrong fails even beside a valid one; with auth
 * on, an anonymous {@code GET /living-map/health} gets the original's minimal answer and only
 * callers with a role get the checks.
 */
class PresentedCredentialsTest {
  static final String KEY = "reader-key-0123456789";
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        new TestServer(
            TestServer.env(
                "LIVING_MAP_AUTH",
                "jwt,apikey",
                "LIVING_MAP_JWT_SECRET",
                Tokens.SECRET,
                "LIVING_MAP_RATE_LIMIT",
                "off",
                "LIVING_MAP_API_KEYS",
                "reader:" + ApiKeys.hash(KEY)),
            false);
    server.seed();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aValidTokenDoesNotCarryAWrongKeyAlong() {
    String token = "Bearer " + Tokens.hs256(Tokens.reader());
    HttpResponse<String> r =
        server.get("/living-map/entities", "Authorization", token, "X-API-Key", "wrong-key");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    assertThat(new JsonObject(r.body()).getString("detail")).contains("API key");

    String forged = "Bearer " + Tokens.hs256(Tokens.reader(), "y".repeat(40));
    r = server.get("/living-map/entities", "Authorization", forged, "X-API-Key", KEY);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);

    r = server.get("/living-map/entities", "Authorization", token, "X-API-Key", KEY);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void anonymousHealthIsTheOriginalsMinimalAnswer() {
    HttpResponse<String> anonymous = server.get("/living-map/health");
    assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(200);
    JsonObject body = new JsonObject(anonymous.body());
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("status", "service", "version", "time");

    HttpResponse<String> reader = server.get("/living-map/health", "X-API-Key", KEY);
    assertThat(new JsonObject(reader.body()).getJsonObject("checks")).isNotNull();

    HttpResponse<String> badKey = server.get("/living-map/health", "X-API-Key", "wrong");
    assertThat(badKey.statusCode()).isEqualTo(401);
  }
}
