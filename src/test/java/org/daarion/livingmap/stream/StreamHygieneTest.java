package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.junit.jupiter.api.Test;

class StreamHygieneTest {

  @Test
  void badClientFramesGetErrorFramesAndAFloodIsClosedWith1008WhileOthersAreServed()
      throws Exception {
    try (StreamTestServer server = StreamTestServer.start()) {
      server.nodeMetrics(1, 0.1);
      server.settle();
      try (LivingMapStreamClient bad =
              server.connected(new LivingMapStreamClient.Options().reconnect(false, 0));
          LivingMapStreamClient good = server.connected(new LivingMapStreamClient.Options())) {
        bad.sendText("not json");
        bad.sendText("[1,2]");
        bad.send(new JsonObject().put("op", "teleport"));
        bad.send(new JsonObject().put("nop", 1));
        bad.sendText("{\"op\":\"ping\",\"pad\":\"" + "x".repeat(70 * 1024) + "\"}");
        bad.send(new JsonObject().put("op", "resume").put("since_seq", 1).put("epoch", "e1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> bad.errors().size() == 6);
        List<JsonObject> errors = bad.errors();
        assertThat(errors)
            .extracting(e -> e.getInteger("code"))
            .containsExactly(400, 400, 400, 400, 413, 409);
        assertThat(errors.get(2).getString("error")).contains("teleport");
        assertThat(errors.get(2).getString("parameter")).isEqualTo("op");
        assertThat(errors)
            .allMatch(e -> e.getString("timestamp") != null && e.getString("kind").equals("error"));
        for (int i = 0; i < 20; i++) {
          bad.sendText("garbage " + i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> bad.lastCloseCode() != null);
        assertThat(bad.lastCloseCode()).isEqualTo(CloseCodes.POLICY_VIOLATION);
        assertThat(server.hub.stats().closes(CloseCodes.POLICY_VIOLATION)).isEqualTo(1);
        assertThat(server.hub.stats().errorsSent()).isEqualTo(20);

        server.nodeMetrics(1, 0.9);
        long end = server.settle();
        await().atMost(Duration.ofSeconds(5)).until(() -> good.lastSeq() == end);
        good.send(new JsonObject().put("op", "ping"));
        assertThat(good.errors()).isEmpty();
      }
    }
  }

  @Test
  void binaryFramesGetAnErrorFrame() throws Exception {
    try (StreamTestServer server = StreamTestServer.start();
        RawWebSocket raw = new RawWebSocket(server.port, null, 65536)) {
      raw.send(2, "{\"op\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
      await().atMost(Duration.ofSeconds(5)).until(() -> server.hub.stats().errorsSent() == 1);
    }
  }

  /**
   * A message over the transport limit, in one frame or in fragments, and a frame the decoder
   * refuses get their close code while the client is still sending (Vert.x alone resets the TCP
   * connection for the first and says nothing for the second).
   */
  @Test
  void oversizedAndMalformedFramesGetTheirCloseCodeWhileTheClientStillSends() throws Exception {
    try (StreamTestServer server = StreamTestServer.start()) {
      byte[] twoMiB = "x".repeat(2 * 1024 * 1024).getBytes(StandardCharsets.US_ASCII);
      try (RawWebSocket raw = new RawWebSocket(server.port, null, 65536)) {
        raw.sendFrame(true, 1, twoMiB, true);
        assertThat(raw.readUntilClosed()).isEqualTo(1009);
      }
      byte[] half = Arrays.copyOf(twoMiB, 600 * 1024);
      try (RawWebSocket raw = new RawWebSocket(server.port, null, 65536)) {
        raw.sendFrame(false, 1, half, true);
        raw.sendFrame(false, 0, half, true);
        raw.sendFrame(true, 0, half, true);
        assertThat(raw.readUntilClosed()).isEqualTo(1009);
      }
      try (RawWebSocket raw = new RawWebSocket(server.port, null, 65536)) {
        raw.sendFrame(true, 1, "{\"op\":\"ping\"}".getBytes(StandardCharsets.US_ASCII), false);
        assertThat(raw.readUntilClosed()).isEqualTo(1002);
      }
      try (RawWebSocket raw = new RawWebSocket(server.port, null, 65536)) {
        // not UTF-8: read as text with replacement characters, so an error frame, not a close
        raw.sendFrame(true, 1, new byte[] {'{', (byte) 0xc3, (byte) 0x28, '}'}, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.hub.stats().errorsSent() == 1);
      }
      assertThat(server.hub.stats().closes(CloseCodes.MESSAGE_TOO_BIG)).isEqualTo(2);
      assertThat(server.hub.stats().closes(CloseCodes.PROTOCOL_ERROR)).isEqualTo(1);
      // the service still serves
      try (LivingMapStreamClient good = server.connected(new LivingMapStreamClient.Options())) {
        server.nodeMetrics(1, 0.5);
        long end = server.settle();
        await().atMost(Duration.ofSeconds(10)).until(() -> good.lastSeq() == end);
      }
    }
  }

  @Test
  void pingsKeepHealthyClientsAndIdleOnesAreClosedWith4000() throws Exception {
    StreamEndpoint.Settings settings =
        StreamTestServer.settings().withPing(Duration.ofMillis(300), Duration.ofMillis(1500));
    try (StreamTestServer server =
        new StreamTestServer(settings, StreamHub.Options.defaults(), MissedEvents.NONE)) {
      List<JsonObject> frames = new CopyOnWriteArrayList<>();
      try (LivingMapStreamClient healthy =
              server.connected(
                  new LivingMapStreamClient.Options().reconnect(false, 0).onFrame(frames::add));
          RawWebSocket silent = new RawWebSocket(server.port, null, 65536)) {
        assertThat(silent.readUntilClosed()).isEqualTo(CloseCodes.IDLE_TIMEOUT);
        assertThat(server.hub.stats().closes(CloseCodes.IDLE_TIMEOUT)).isEqualTo(1);
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () -> frames.stream().filter(f -> "ping".equals(f.getString("kind"))).count() >= 5);
        assertThat(healthy.socketOpen()).isTrue();
        assertThat(healthy.lastCloseCode()).isNull();
        JsonObject ping =
            frames.stream()
                .filter(f -> "ping".equals(f.getString("kind")))
                .findFirst()
                .orElseThrow();
        assertThat(ping.getString("timestamp")).isNotBlank();
      }
    }
  }

  @Test
  void theConnectionCapIsEnforcedWith503() throws Exception {
    try (StreamTestServer server =
        new StreamTestServer(
            StreamTestServer.settings().withMaxConnections(2),
            StreamHub.Options.defaults(),
            MissedEvents.NONE)) {
      LivingMapStreamClient a =
          server.connected(new LivingMapStreamClient.Options().reconnect(false, 0));
      try (LivingMapStreamClient b =
          server.connected(new LivingMapStreamClient.Options().reconnect(false, 0))) {
        try (RawWebSocket third = new RawWebSocket(server.port, null, 65536)) {
          assertThat(third.status).isEqualTo("HTTP/1.1 503 Service Unavailable");
          assertThat(new JsonObject(third.body()).getInteger("code")).isEqualTo(503);
        }
        assertThat(server.hub.stats().rejectedCap()).isEqualTo(1);
        a.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.hub.stats().connections() == 1);
        try (RawWebSocket again = new RawWebSocket(server.port, null, 65536)) {
          assertThat(again.status).isEqualTo("HTTP/1.1 101 Switching Protocols");
        }
      }
    }
  }

  @Test
  void anAuthenticatorCanRefuseWith401AndAPlainGetGets426() throws Exception {
    try (StreamTestServer server = StreamTestServer.start()) {
      StreamEndpoint guarded =
          new StreamEndpoint(
              server.vertx,
              StreamTestServer.settings(),
              server.hub,
              req ->
                  "secret".equals(req.getParam("token"))
                      ? io.vertx.core.Future.succeededFuture()
                      : io.vertx.core.Future.failedFuture("no token"),
              java.time.Clock.systemUTC());
      io.vertx.core.http.HttpServer other =
          server
              .vertx
              .createHttpServer()
              .requestHandler(guarded::handle)
              .listen(0)
              .toCompletionStage()
              .toCompletableFuture()
              .get();
      try (RawWebSocket refused = new RawWebSocket(other.actualPort(), null, 65536)) {
        assertThat(refused.status).isEqualTo("HTTP/1.1 401 Unauthorized");
        assertThat(new JsonObject(refused.body()).getInteger("code")).isEqualTo(401);
      }
      try (RawWebSocket accepted = new RawWebSocket(other.actualPort(), "token=secret", 65536)) {
        assertThat(accepted.status).isEqualTo("HTTP/1.1 101 Switching Protocols");
      }
      assertThat(server.hub.stats().rejectedAuth()).isEqualTo(1);
      java.net.http.HttpResponse<String> plain =
          java.net.http.HttpClient.newBuilder()
              .version(java.net.http.HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(
                              "http://localhost:" + server.port + "/living-map/stream"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(plain.statusCode()).isEqualTo(426);
      other.close();
    }
  }
}
