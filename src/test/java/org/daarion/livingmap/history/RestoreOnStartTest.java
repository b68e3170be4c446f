package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression tests found by the SIGKILL reliability test: what the state loads at start must be
 * exactly what history holds.
 */
class RestoreOnStartTest {
  static Database db;
  static SnapshotStore snapshots;
  static HistoryStore history;
  static TimeTravel timeTravel;

  @BeforeAll
  static void start() {
    db = Database.start(TestDatabase.create().config());
    snapshots = new SnapshotStore(db);
    history = new HistoryStore(db);
    timeTravel = new TimeTravel(db, snapshots, history, HistorySnapshotTest.COUNTING);
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

  /**
   * A snapshot is cut from the live state, ahead of the history writer; killed right after storing
   * it, the service must not restore from it (its last events are redelivered and would be taken
   * for duplicates, never applied, and written without a position).
   */
  @Test
  void aSnapshotAheadOfHistoryIsSkippedForAnOlderOne() throws Exception {
    events(1, 40);
    snapshots
        .save(
            new SnapshotData(
                10, "e1", HistorySnapshotTest.T0.plusSeconds(10), "v", new JsonObject()))
        .get();
    snapshots
        .save(
            new SnapshotData(
                55, "e1", HistorySnapshotTest.T0.plusSeconds(55), "v", new JsonObject()))
        .get();

    TimeTravel.Restore r = timeTravel.restoreOnStart().get().orElseThrow();

    assertThat(r.snapshot().seq()).isEqualTo(10);
    assertThat(r.events()).extracting(Event::seq).startsWith(11L).endsWith(40L).hasSize(30);
  }

  /** Killed before its first stored snapshot, the service restores the state from history alone. */
  @Test
  void withoutAUsableSnapshotTheWholeEpochIsReplayed() throws Exception {
    events(1, 40);
    snapshots
        .save(
            new SnapshotData(
                99, "e1", HistorySnapshotTest.T0.plusSeconds(99), "v", new JsonObject()))
        .get();

    TimeTravel.Restore r = timeTravel.restoreOnStart().get().orElseThrow();

    assertThat(r.snapshot()).isNull();
    assertThat(r.events()).extracting(Event::seq).startsWith(1L).endsWith(40L).hasSize(40);
  }

  static void events(long from, long to) throws Exception {
    List<Event> list = new java.util.ArrayList<>();
    for (long s = from; s <= to; s++) {
      list.add(
          new Event(
              s,
              "e1",
              HistorySnapshotTest.T0.plusSeconds(s),
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

  /** A large history without snapshots (a taken-over database) is not loaded into the heap. */
  @Test
  void withoutASnapshotAHistoryTooLargeToReplayIsNotLoaded() throws Exception {
    try (Connection c = db.dataSource().getConnection()) {
      HistoryRows.insertEvents(
          c,
          List.of(
              new Event(
                  TimeTravel.MAX_REPLAY_WITHOUT_SNAPSHOT + 1L,
                  "e1",
                  HistorySnapshotTest.T0,
                  "node.metrics.n1",
                  "node:n1",
                  "node",
                  "node-registry",
                  new JsonObject(),
                  null,
                  null)));
    }

    assertThat(timeTravel.restoreOnStart().get()).isEmpty();
  }

  @Test
  void nothingToRestoreFromAnEmptyDatabase() throws Exception {
    assertThat(timeTravel.restoreOnStart().get()).isEmpty();
  }

  /**
   * A redelivered event whose first delivery never reached history is written without a position
   * (seq 0, no epoch). Newest by time, it made the start-up query for the newest position look for
   * epoch NULL and fail: the service could not start again.
   */
  @Test
  void lastPositionIgnoresRowsWithoutAnEpoch() throws Exception {
    events(1, 5);
    try (Connection c = db.dataSource().getConnection()) {
      HistoryRows.insertEvents(
          c,
          List.of(
              new Event(
                  0,
                  null,
                  HistorySnapshotTest.T0.plusSeconds(3600),
                  "node.metrics.n1",
                  "node:n1",
                  "node",
                  "node-registry",
                  new JsonObject(),
                  "js:S:77",
                  null)));
    }

    Optional<HistoryStore.Position> last = history.lastPosition().get();

    assertThat(last).isPresent();
    assertThat(last.get().epoch()).isEqualTo("e1");
    assertThat(last.get().seq()).isEqualTo(5);
  }
}
