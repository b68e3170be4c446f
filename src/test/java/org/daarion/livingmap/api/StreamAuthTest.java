package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.Test;

/**
 * The stream of the assembled service with JWT auth on: refused without a token, served with one
 * given as {@code access_token} (browsers cannot set headers), closed with 4401 when the token
 * expires, and capped per client.
 */
class StreamAuthTest {
  private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";

  private static String jwt(String subject, Instant expires) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header =
        b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    JsonObject claims =
        new JsonObject()
            .put("sub", subject)
            .put("iss", "daarion-auth")
            .put("roles", new JsonArray().add("living-map:read"))
            .put("iat", Instant.now().getEpochSecond())
            .put("exp", expires.getEpochSecond());
    String payload = b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature =
        b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8)));
    return header + "." + payload + "." + signature;
  }

  @Test
  void tokenOnTheQueryOpensTheStreamAndItsExpiryClosesIt() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (Application app =
        TestApps.start(
            TestApps.config(
                Map.of(
                    "LIVING_MAP_SIMULATOR", "off",
                    "LIVING_MAP_AUTH", "jwt",
                    "LIVING_MAP_JWT_SECRET", SECRET,
                    "LIVING_MAP_JWT_LEEWAY", "0s",
                    "LIVING_MAP_WS_MAX_PER_CLIENT", "2")))) {
      WebSocketClient client = vertx.createWebSocketClient();
      WebSocketConnectOptions base =
          new WebSocketConnectOptions().setHost("127.0.0.1").setPort(app.port());

      Throwable refused =
          client
              .connect(new WebSocketConnectOptions(base).setURI("/living-map/stream"))
              .toCompletionStage()
              .toCompletableFuture()
              .handle((ws, err) -> err)
              .get(10, TimeUnit.SECONDS);
      assertThat(refused).as("no token, no stream").isNotNull();

      String shortLived = jwt("alice", Instant.now().plusSeconds(3));
      List<String> kinds = new CopyOnWriteArrayList<>();
      AtomicInteger closeCode = new AtomicInteger();
      WebSocket ws =
          client
              .connect(
                  new WebSocketConnectOptions(base)
                      .setURI("/living-map/stream?access_token=" + shortLived))
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      ws.textMessageHandler(m -> kinds.add(new JsonObject(m).getString("kind")));
      ws.closeHandler(v -> closeCode.set(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode()));
      await().atMost(Duration.ofSeconds(5)).until(() -> kinds.contains("snapshot"));
      await().atMost(Duration.ofSeconds(10)).until(() -> closeCode.get() != 0);
      assertThat(closeCode.get()).as("closed when the token expired").isEqualTo(4401);

      String bob = jwt("bob", Instant.now().plusSeconds(600));
      WebSocketConnectOptions asBob =
          new WebSocketConnectOptions(base).setURI("/living-map/stream?access_token=" + bob);
      WebSocket first =
          client.connect(asBob).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      WebSocket second =
          client.connect(asBob).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      Throwable third =
          client
              .connect(asBob)
              .toCompletionStage()
              .toCompletableFuture()
              .handle((w, err) -> err)
              .get(10, TimeUnit.SECONDS);
      assertThat(third).as("a third socket for the same subject is over the cap of 2").isNotNull();
      first.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  client
                      .connect(asBob)
                      .toCompletionStage()
                      .toCompletableFuture()
                      .handle((w, err) -> err == null)
                      .get(10, TimeUnit.SECONDS));
      second.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
