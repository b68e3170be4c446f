package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HistoryRetentionTest {
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  static Database db;

  @BeforeAll
  static void start() {
    db = Database.start(TestDatabase.create().config());
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @BeforeEach
  void seed() throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute("TRUNCATE living_map_history, living_map_snapshots, living_map_rejected_events");
      List<Event> events = new ArrayList<>();
      for (long s = 1; s <= 260; s++) {
        // 250 events 40 days old, 10 from yesterday
        Instant t =
            s <= 250
                ? NOW.minus(Duration.ofDays(40)).plusSeconds(s)
                : NOW.minus(Duration.ofDays(1));
        events.add(
            new Event(
                s,
                "e",
                t,
                "usage.llm",
                "agent:a",
                "agent",
                "usage-engine",
                new JsonObject(),
                null,
                null));
      }
      HistoryRows.insertEvents(c, events);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO living_map_snapshots (generated_at, snapshot_data) VALUES (?, '{}')")) {
        for (int i = 0; i < 105; i++) {
          ps.setTimestamp(1, Timestamp.from(NOW.minus(Duration.ofMinutes(5L * i))));
          ps.addBatch();
        }
        ps.executeBatch();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO living_map_rejected_events (received_at, subject, reason) VALUES (?, 'x', 'bad')")) {
        ps.setTimestamp(1, Timestamp.from(NOW.minus(Duration.ofDays(31))));
        ps.executeUpdate();
        ps.setTimestamp(1, Timestamp.from(NOW.minus(Duration.ofDays(2))));
        ps.executeUpdate();
      }
    }
  }

  static long count(String sql) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  RetentionJob job(Duration interval) {
    return new RetentionJob(
        db.dataSource(),
        Duration.ofDays(30),
        100,
        interval,
        100,
        Duration.ofMillis(1),
        Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @Test
  void deletesOldHistoryInBatchesAndKeepsTheNewest100Snapshots() throws Exception {
    try (RetentionJob job = job(Duration.ofHours(1))) {
      RetentionJob.Result r = job.runOnce();
      assertThat(r.historyDeleted()).isEqualTo(250);
      assertThat(r.historyBatches()).isEqualTo(3); // 100 + 100 + 50
      assertThat(r.snapshotsDeleted()).isEqualTo(5);
      assertThat(r.rejectedDeleted()).isEqualTo(1);
      assertThat(job.historyRowsDeleted()).isEqualTo(250);
    }
    assertThat(count("SELECT count(*) FROM living_map_history")).isEqualTo(10);
    assertThat(count("SELECT min(seq) FROM living_map_history")).isEqualTo(251);
    assertThat(count("SELECT count(*) FROM living_map_snapshots")).isEqualTo(100);
    // The newest 100 are the ones kept.
    assertThat(
            count(
                "SELECT count(*) FROM living_map_snapshots WHERE generated_at <= '"
                    + NOW.minus(Duration.ofMinutes(5L * 100))
                    + "'"))
        .isZero();
    assertThat(count("SELECT count(*) FROM living_map_rejected_events")).isEqualTo(1);
  }

  @Test
  void runsAtStartAndOnSchedule() {
    try (RetentionJob job = job(Duration.ofMillis(200))) {
      job.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> job.runs() >= 2);
      assertThat(job.historyRowsDeleted()).isEqualTo(250);
      assertThat(job.failures()).isZero();
    }
  }

  @Test
  void theOriginalCleanupFunctionStillWorks() throws Exception {
    // cleanup_living_map_history() uses now(); our rows are 40 days older than NOW (2026-06-01),
    // hence older than 30 days today too.
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT cleanup_living_map_history()")) {
      rs.next();
      assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(250);
    }
    assertThat(count("SELECT count(*) FROM living_map_snapshots")).isEqualTo(100);
    assertThat(
            count(
                "SELECT count(*) FROM living_map_history WHERE timestamp < now() - interval '30 days'"))
        .isZero();
  }
}
