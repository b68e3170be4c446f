package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.daarion.livingmap.api.http.ApiServer;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.SnapshotData;
import org.daarion.livingmap.history.SnapshotStore;
import org.daarion.livingmap.history.StateReplayer;
import org.daarion.livingmap.history.TimeTravel;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * A diff refused because time travel is busy costs nothing else: 503 with {@code Retry-After} at
 * once, and no live snapshot prepared for its {@code to} of now (at 100x a preparation is a whole
 * encoding of the map, and a client repeating refused diffs must not make the service prepare one
 * each time).
 */
class DiffRefusedTest {
  @Test
  void aRefusedDiffPreparesNoLiveSnapshot() throws Exception {
    Instant t0 = Instant.parse("2026-04-01T00:00:00Z");
    Vertx vertx = Vertx.vertx();
    ExecutorService workers = Executors.newFixedThreadPool(2);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger livePrepared = new AtomicInteger();
    List<CompletableFuture<TimeTravel.Result>> accepted = new ArrayList<>();
    ApiServer api = null;
    try (Database db = Database.start(TestDatabase.create().config())) {
      try (Connection c = db.dataSource().getConnection();
          Statement st = c.createStatement()) {
        st.execute("TRUNCATE living_map_history, living_map_snapshots");
      }
      SnapshotStore snapshots = new SnapshotStore(db);
      snapshots.save(new SnapshotData(10, "e1", t0, "v", new JsonObject().put("base", true))).get();
      StateReplayer stuck =
          (snapshot, events, at) -> {
            running.incrementAndGet();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return new JsonObject();
          };
      TimeTravel tt = new TimeTravel(db, snapshots, new HistoryStore(db), stuck);
      // One rebuild runs (stuck), then as many as may wait: until the next is refused.
      accepted.add(tt.stateAt(t0.plusSeconds(5)));
      await().atMost(Duration.ofSeconds(30)).until(() -> running.get() == 1);
      for (int i = 0; i < 100; i++) {
        CompletableFuture<TimeTravel.Result> f = tt.stateAt(t0.plusSeconds(5));
        if (f.isCompletedExceptionally()) {
          break;
        }
        accepted.add(f);
      }
      assertThat(accepted).as("rebuilds admitted before the queue was full").hasSizeLessThan(101);

      DiffRoutes routes =
          new DiffRoutes(
              tt,
              () -> "e1",
              ctx -> Set.of(),
              () -> {
                livePrepared.incrementAndGet();
                return new CompletableFuture<>();
              },
              workers);
      api =
          new ApiServer(
              vertx,
              Config.of(Map.of("PORT", "0")),
              "t",
              List.of(routes),
              org.daarion.livingmap.api.security.Security.open(vertx),
              null);
      int port = api.start().await();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      for (int i = 0; i < 20; i++) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://localhost:"
                                + port
                                + "/living-map/diff?from="
                                + t0.plusSeconds(5 + i)
                                + "&to="
                                + Instant.now().plusSeconds(60)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).contains("5");
        assertThat(r.body()).contains("time travel is busy");
      }
      assertThat(livePrepared.get()).as("live snapshots prepared for refused diffs").isZero();
    } finally {
      release.countDown();
      for (CompletableFuture<TimeTravel.Result> f : accepted) {
        f.handle((r, e) -> null).get(30, TimeUnit.SECONDS);
      }
      if (api != null) {
        api.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      workers.shutdownNow();
    }
  }
}
