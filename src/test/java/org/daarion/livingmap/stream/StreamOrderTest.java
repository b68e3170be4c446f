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
   * A browser negotiating permessage-deflate gets frames encoded per socket, not the shared wire
   * bytes.
   */
  @Test
  void compressedConnectionsGetTheSameStream() throws Exception {
    io.vertx.core.http.HttpServer deflating =
        server
            .vertx
            .createHttpServer(
                new io.vertx.core.http.HttpServerOptions()
                    .setPerMessageWebSocketCompressionSupported(true))
            .requestHandler(server.endpoint::handle)
            .listen(0)
            .toCompletionStage()
            .toCompletableFuture()
            .get();
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
}
