package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HistorySnapshotTest {
  static final Instant T0 = Instant.parse("2026-04-01T00:00:00Z");
  static Database db;
  static SnapshotStore snapshots;
  static HistoryStore history;

  @BeforeAll
  static void start() {
    db = Database.start(TestDatabase.create().config());
    snapshots = new SnapshotStore(db);
    history = new HistoryStore(db);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @BeforeEach
  void empty() throws Exception {
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute("TRUNCATE living_map_history, living_map_snapshots");
    }
  }

  static JsonObject state(int nodes) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < nodes; i++) {
      items.add(new JsonObject().put("id", "node:" + i).put("cpu", 0.5).put("name", "node " + i));
    }
    return new JsonObject()
        .put("layers", new JsonObject().put("nodes", new JsonObject().put("items", items)));
  }

  @Test
  void plainSnapshotRoundTrip() throws Exception {
    JsonObject small = state(3);
    StoredSnapshot saved = snapshots.save(new SnapshotData(42, "e1", T0, "0.1.0", small)).get();
    assertThat(saved.compressed()).isFalse();
    assertThat(saved.seq()).isEqualTo(42);
    assertThat(saved.sizeBytes()).isEqualTo(small.toBuffer().length());
    StoredSnapshot back = snapshots.latest().get().orElseThrow();
    assertThat(back.snapshot()).isEqualTo(small);
    assertThat(back.epoch()).isEqualTo("e1");
    assertThat(back.version()).isEqualTo("0.1.0");
    assertThat(back.generatedAt()).isEqualTo(T0);
  }

  @Test
  void largeSnapshotIsStoredCompressedAndReadBack() throws Exception {
    // ~500 KiB of JSON: the API snapshot beside the state and the silences it is read back for
    JsonObject big =
        state(10_000)
            .put("state", new JsonObject().put("entities", new JsonArray().add("node:1")))
            .put("silences", new JsonArray().add(new JsonObject().put("id", "silence-1")));
    int size = big.toBuffer().length();
    assertThat(size).isGreaterThan(SnapshotStore.COMPRESS_ABOVE_BYTES);
    StoredSnapshot saved = snapshots.save(new SnapshotData(7, "e1", T0, "0.1.0", big)).get();
    assertThat(saved.compressed()).isTrue();
    assertThat(saved.sizeBytes()).isEqualTo(size);
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT compressed, pg_column_size(snapshot_data), snapshot_data ? 'gzip_base64'"
                    + " FROM living_map_snapshots")) {
      rs.next();
      assertThat(rs.getBoolean(1)).isTrue();
      assertThat(rs.getInt(2)).isLessThan(size / 2);
      assertThat(rs.getBoolean(3)).isTrue();
    }
    // only what is read back is built into a tree; the large API part is skipped
    assertThat(snapshots.latest().get().orElseThrow().snapshot())
        .isEqualTo(
            new JsonObject()
                .put("state", big.getJsonObject("state"))
                .put("silences", big.getJsonArray("silences")));
  }

  @Test
  void latestAtOrBeforeAndList() throws Exception {
    for (int i = 0; i < 3; i++) {
      snapshots
          .save(
              new SnapshotData(
                  i * 10L, "e1", T0.plus(Duration.ofMinutes(5L * i)), "v", state(i + 1)))
          .get();
    }
    assertThat(snapshots.latestAtOrBefore(T0.minusSeconds(1)).get()).isEmpty();
    assertThat(snapshots.latestAtOrBefore(T0).get().orElseThrow().seq()).isEqualTo(0);
    assertThat(snapshots.latestAtOrBefore(T0.plus(Duration.ofMinutes(7))).get().orElseThrow().seq())
        .isEqualTo(10);
    assertThat(snapshots.latestAtOrBefore(T0.plus(Duration.ofHours(1))).get().orElseThrow().seq())
        .isEqualTo(20);
    JsonArray items = snapshots.list(2).get().getJsonArray("items");
    assertThat(items).hasSize(2);
    assertThat(items.getJsonObject(0).getLong("seq")).isEqualTo(20);
    assertThat(items.getJsonObject(0).fieldNames())
        .contains("id", "generated_at", "seq", "epoch", "size_bytes", "compressed")
        .doesNotContain("snapshot_data");
  }

  /** A trivial replayer: counts applied events per entity and records the last seq. */
  static final StateReplayer COUNTING =
      (snapshot, events, at) -> {
        JsonObject s = snapshot.copy();
        JsonObject counts = s.getJsonObject("counts", new JsonObject());
        for (Event e : events) {
          counts.put(e.entityId(), counts.getInteger(e.entityId(), 0) + 1);
          s.put("last_seq", e.seq());
        }
        return s.put("counts", counts).put("generated_at", at.toString());
      };

  static void events(long from, long to) throws Exception {
    List<Event> list = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      list.add(
          new Event(
              s,
              "e1",
              T0.plusSeconds(s),
              "node.metrics.n1",
              "node:n1",
              "node",
              "node-registry",
              new JsonObject().put("cpu", s / 100.0),
              null,
              null));
    }
    try (Connection c = db.dataSource().getConnection()) {
      HistoryRows.insertEvents(c, list);
    }
  }

  @Test
  void timeTravelReplaysEventsUpToTheInstant() throws Exception {
    // Snapshot at seq 10 (T0+10s); events 1..40 at T0+seq seconds.
    events(1, 40);
    snapshots
        .save(
            new SnapshotData(10, "e1", T0.plusSeconds(10), "v", new JsonObject().put("base", true)))
        .get();
    TimeTravel tt = new TimeTravel(db, snapshots, history, COUNTING);

    TimeTravel.Result r = tt.stateAt(T0.plusSeconds(25)).get();
    assertThat(r.found()).isTrue();
    assertThat(r.eventsReplayed()).isEqualTo(15); // seqs 11..25
    assertThat(r.state().getLong("last_seq")).isEqualTo(25);
    assertThat(r.state().getJsonObject("counts").getInteger("node:n1")).isEqualTo(15);
    assertThat(r.state().getBoolean("base")).isTrue();
    assertThat(r.base().seq()).isEqualTo(10);

    TimeTravel.Result none = tt.stateAt(T0.plusSeconds(5)).get();
    assertThat(none.found()).isFalse();
    assertThat(none.reason()).contains("no stored snapshot");

    Optional<TimeTravel.Restore> restore = tt.restoreOnStart().get();
    assertThat(restore).isPresent();
    assertThat(restore.get().snapshot().seq()).isEqualTo(10);
    assertThat(restore.get().events())
        .extracting(Event::seq)
        .startsWith(11L, 12L)
        .endsWith(40L)
        .hasSize(30);
  }

  /**
   * A rebuild holds a whole second state: one runs at a time, {@link TimeTravel#QUEUED_REBUILDS}
   * wait, and the next is refused at once with {@link TimeTravel.Busy} (the API's 503), whatever
   * number of clients ask; the ones accepted all complete.
   */
  @Test
  void pastStatesAreRebuiltOneAtATimeAndTheQueueIsBounded() throws Exception {
    events(1, 20);
    snapshots
        .save(
            new SnapshotData(10, "e1", T0.plusSeconds(10), "v", new JsonObject().put("base", true)))
        .get();
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    StateReplayer slow =
        (snapshot, events, at) -> {
          most.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          running.decrementAndGet();
          return COUNTING.replay(snapshot, events, at);
        };
    TimeTravel tt = new TimeTravel(db, snapshots, history, slow);
    List<CompletableFuture<TimeTravel.Result>> accepted = new ArrayList<>();
    for (int i = 0; i <= TimeTravel.QUEUED_REBUILDS; i++) {
      accepted.add(tt.stateAt(T0.plusSeconds(15)));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> running.get() == 1);
    CompletableFuture<TimeTravel.Result> refused = tt.stateAt(T0.plusSeconds(15));
    assertThat(refused).isCompletedExceptionally();
    assertThatThrownBy(refused::join).hasCauseInstanceOf(TimeTravel.Busy.class);

    release.countDown();
    for (CompletableFuture<TimeTravel.Result> f : accepted) {
      TimeTravel.Result r = f.get(30, TimeUnit.SECONDS);
      assertThat(r.eventsReplayed()).isEqualTo(5);
      assertThat(r.base().snapshot()).as("a result keeps no stored body").isNull();
    }
    assertThat(most.get()).isEqualTo(1);
  }

  @Test
  void schedulerStoresPeriodicallyAndOnClose() throws Exception {
    AtomicLong seq = new AtomicLong();
    SnapshotSource source =
        () ->
            CompletableFuture.completedFuture(
                new SnapshotData(seq.incrementAndGet(), "e1", Instant.now(), "v", state(1)));
    SnapshotScheduler scheduler = new SnapshotScheduler(snapshots, source, Duration.ofMillis(100));
    scheduler.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> scheduler.saved() >= 2);
    long before = scheduler.saved();
    scheduler.close();
    assertThat(scheduler.saved()).isGreaterThan(before);
    StoredSnapshot latest = snapshots.latest().get().orElseThrow();
    assertThat(latest.seq()).isEqualTo(seq.get());
  }

  /**
   * A snapshot is stored once the live position moved the configured number of events past the last
   * one, long before the interval; a position that went back (a new epoch) counts from there.
   */
  @Test
  void schedulerStoresOnceEnoughEventsWereApplied() throws Exception {
    AtomicLong position = new AtomicLong(1_000);
    SnapshotSource source =
        () ->
            CompletableFuture.completedFuture(
                new SnapshotData(position.get(), "e1", Instant.now(), "v", state(1)));
    SnapshotScheduler scheduler =
        new SnapshotScheduler(
            snapshots, source, Duration.ofHours(1), () -> true, position::get, 100);
    try {
      scheduler.start();
      position.set(1_050);
      await()
          .during(Duration.ofMillis(2_500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> scheduler.saved() == 0);
      position.set(1_100);
      await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.saved() == 1);
      assertThat(snapshots.latest().get().orElseThrow().seq()).isEqualTo(1_100);

      position.set(99); // a new epoch, 99 events into it
      await()
          .during(Duration.ofMillis(2_500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> scheduler.saved() == 1);
      position.set(100);
      await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.saved() == 2);
    } finally {
      scheduler.close();
    }
  }
}
