package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StreamOrderTest {
  private StreamTestServer server;

  @BeforeEach
  void start() throws Exception {
    server = StreamTestServer.start();
    for (int n = 1; n <= 5; n++) {
      server.nodeMetrics(n, 0.1 * n);
    }
    server.agentStatus("sofia", "online");
    server.settle();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void snapshotFirstThenEveryEventInSeqOrder() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    try (LivingMapStreamClient c =
        server.connected(new LivingMapStreamClient.Options().onFrame(frames::add))) {
      JsonObject first = frames.get(0);
      assertThat(first.getString("kind")).isEqualTo("snapshot");
      long s = first.getLong("seq");
      assertThat(s).isEqualTo(6);
      assertThat(first.getString("epoch")).isEqualTo("e1");
      assertThat(first.containsKey("reason")).isFalse();
      JsonArray nodes =
          first
              .getJsonObject("data")
              .getJsonObject("layers")
              .getJsonObject("nodes")
              .getJsonArray("items");
      assertThat(nodes).hasSize(5);

      for (int i = 0; i < 300; i++) {
        server.nodeMetrics(i % 5 + 1, (i % 100) / 100.0);
      }
      long end = server.settle();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.lastSeq() == end);
      List<Long> events =
          frames.stream()
              .filter(f -> f.getString("kind").equals("event"))
              .map(f -> f.getLong("seq"))
              .toList();
      assertThat(events)
          .containsExactlyElementsOf(LongStream.rangeClosed(s + 1, end).boxed().toList());
      JsonObject ev =
          frames.stream()
              .filter(f -> f.getString("kind").equals("event"))
              .findFirst()
              .orElseThrow();
      assertThat(ev.getString("event_type")).startsWith("node.metrics.");
      assertThat(ev.getString("entity_id")).startsWith("node:");
      assertThat(ev.getString("entity_type")).isEqualTo("node");
      assertThat(ev.getString("timestamp")).isNotBlank();
      assertThat(ev.getJsonObject("payload").getDouble("ram")).isEqualTo(0.5);
      assertThat(ev.getString("epoch")).isEqualTo("e1");
      assertThat(server.hub.stats().eventsPublished()).isEqualTo(end);
    }
  }

  /** Regression: events sequenced while a client subscribes are neither lost nor duplicated. */
  @Test
  void subscribingDuringABurstLosesNothing() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    Thread publisher =
        new Thread(
            () -> {
              int i = 0;
              while (running.get()) {
                server.nodeMetrics(i % 5 + 1, (i++ % 100) / 100.0);
                if (i % 10 == 0) {
                  LockSupport.parkNanos(1_000_000); // pacing (about 10,000 events/s), not a wait
                }
              }
            });
    publisher.start();
    try {
      List<LivingMapStreamClient> clients = new CopyOnWriteArrayList<>();
      for (int k = 0; k < 5; k++) {
        clients.add(server.connected(new LivingMapStreamClient.Options()));
      }
      running.set(false);
      publisher.join();
      long end = server.settle();
      for (LivingMapStreamClient c : clients) {
        await().atMost(Duration.ofSeconds(20)).until(() -> c.lastSeq() == end);
        List<Long> seqs = c.seqs();
        long s = c.snapshotReasons().size() == 1 ? end - seqs.size() : -1;
        assertThat(c.snapshotReasons()).containsExactly((String) null);
        assertThat(seqs)
            .containsExactlyElementsOf(LongStream.rangeClosed(s + 1, end).boxed().toList());
        assertThat(c.gaps()).isZero();
        assertThat(c.duplicates()).isZero();
        c.close();
      }
    } finally {
      running.set(false);
      publisher.join();
    }
  }

  /**
   * A client negotiating permessage-deflate (Vert.x's, inflating with one window per connection)
   * reads the same stream as a plain one.
   */
  @Test
  void compressedConnectionsGetTheSameStream() throws Exception {
    io.vertx.core.http.HttpServer deflating = deflatingServer();
    try (LivingMapStreamClient plain = server.connected(new LivingMapStreamClient.Options());
        LivingMapStreamClient zipped =
            new LivingMapStreamClient(
                server.vertx,
                new LivingMapStreamClient.Options()
                    .host("localhost")
                    .port(deflating.actualPort())
                    .compression(true))) {
      zipped
          .connect()
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
      long s = zipped.position();
      for (int i = 0; i < 200; i++) {
        server.nodeMetrics(i % 5 + 1, i / 200.0);
      }
      long end = server.settle();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> zipped.lastSeq() == end && plain.lastSeq() == end);
      assertThat(zipped.seqs())
          .containsExactlyElementsOf(LongStream.rangeClosed(s + 1, end).boxed().toList());
      assertThat(zipped.item("node:n3").getJsonObject("metrics").getDouble("cpu"))
          .isEqualTo(plain.item("node:n3").getJsonObject("metrics").getDouble("cpu"));
    } finally {
      deflating.close();
    }
  }

  /**
   * Connections share their event loop's drainer: Vert.x Web hands each request a duplicated
   * context, and keyed by it the endpoint kept one drainer (and its compressed-frame cache) for
   * every connection ever made.
   */
  @Test
  void connectionsShareTheirEventLoopsDrainer() throws Exception {
    List<LivingMapStreamClient> clients = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) {
        clients.add(server.connected(new LivingMapStreamClient.Options()));
      }
      server.nodeMetrics(1, 0.9);
      long end = server.settle();
      for (LivingMapStreamClient c : clients) {
        await().atMost(Duration.ofSeconds(10)).until(() -> c.lastSeq() == end);
      }
      // Vert.x's default event loops: two per core.
      assertThat(server.endpoint.drainerContexts())
          .isBetween(1, 2 * Runtime.getRuntime().availableProcessors());
    } finally {
      for (LivingMapStreamClient c : clients) {
        c.close();
      }
    }
  }

  /**
   * Sockets with permessage-deflate are written each event compressed once, the same bytes for
   * every socket (the per-socket encoder compressed each event again per socket: at 100x DAARION
   * that starved the event loops), and a browser-style client with one inflater for the whole
   * connection (context takeover) still reads every message. The second socket connects after the
   * first has been sent events, so a per-socket compression context would show as different bytes.
   */
  @Test
  void deflatingSocketsShareEachEventsCompressedBytes() throws Exception {
    io.vertx.core.http.HttpServer deflating = deflatingServer();
    String offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    try (RawWebSocket a = new RawWebSocket(deflating.actualPort(), null, 1 << 20, offer)) {
      assertThat(a.headers.toLowerCase(java.util.Locale.ROOT)).contains("permessage-deflate");
      InflatingSocket ia = new InflatingSocket(a);
      assertThat(ia.next().getString("kind")).isEqualTo("snapshot");
      for (int i = 0; i < 100; i++) {
        server.nodeMetrics(i % 5 + 1, i / 100.0);
      }
      long mid = server.settle();
      java.util.Map<Long, byte[]> fromA = ia.eventsUntil(mid);
      assertThat(fromA).hasSize(100);
      try (RawWebSocket b = new RawWebSocket(deflating.actualPort(), null, 1 << 20, offer)) {
        InflatingSocket ib = new InflatingSocket(b);
        JsonObject snap = ib.next();
        assertThat(snap.getString("kind")).isEqualTo("snapshot");
        assertThat(snap.getLong("seq")).isEqualTo(mid);
        long deflatedBefore = server.endpoint.stats().framesDeflated();
        for (int i = 0; i < 100; i++) {
          server.nodeMetrics(i % 5 + 1, i / 200.0);
        }
        long end = server.settle();
        java.util.Map<Long, byte[]> laterA = ia.eventsUntil(end);
        java.util.Map<Long, byte[]> fromB = ib.eventsUntil(end);
        // Both sockets are on the server's one event loop: each event compressed once, not twice.
        assertThat(server.endpoint.stats().framesDeflated() - deflatedBefore).isEqualTo(100);
        assertThat(fromB.keySet())
            .containsExactlyElementsOf(LongStream.rangeClosed(mid + 1, end).boxed().toList());
        assertThat(laterA.keySet()).containsExactlyElementsOf(fromB.keySet());
        for (long seq : fromB.keySet()) {
          assertThat(fromB.get(seq)).as("seq %d", seq).isEqualTo(laterA.get(seq));
        }
      }
    } finally {
      deflating.close();
    }
  }

  /**
   * A client that asks for a server window under 32 KiB (RFC 7692 7.1.2.1) is not given
   * permessage-deflate at all: the messages compressed once for everyone use the full window, and
   * an inflater with a smaller one could not read them. It gets the stream plain, every event.
   */
  @Test
  void aClientAskingForASmallServerWindowGetsThePlainStream() throws Exception {
    io.vertx.core.http.HttpServer deflating = deflatingServer();
    String offer =
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10;"
            + " client_max_window_bits\r\n";
    try (RawWebSocket w = new RawWebSocket(deflating.actualPort(), null, 1 << 20, offer)) {
      assertThat(w.status).contains("101");
      assertThat(w.headers.toLowerCase(java.util.Locale.ROOT)).doesNotContain("permessage-deflate");
      RawWebSocket.Message first = w.readMessage();
      assertThat(first.compressed()).isFalse();
      assertThat(new JsonObject(first.text()).getString("kind")).isEqualTo("snapshot");
      long start = server.settle();
      for (int i = 0; i < 50; i++) {
        server.nodeMetrics(i % 5 + 1, i / 50.0);
      }
      long end = server.settle();
      for (long seq = start + 1; seq <= end; seq++) {
        RawWebSocket.Message m = w.readMessage();
        assertThat(m.compressed()).isFalse();
        assertThat(new JsonObject(m.text()).getLong("seq")).isEqualTo(seq);
      }
    } finally {
      deflating.close();
    }
  }

  private io.vertx.core.http.HttpServer deflatingServer() throws Exception {
    return server
        .vertx
        .createHttpServer(
            new io.vertx.core.http.HttpServerOptions()
                .setPerMessageWebSocketCompressionSupported(true))
        .requestHandler(server.endpoint::handle)
        .listen(0)
        .toCompletionStage()
        .toCompletableFuture()
        .get();
  }
}
