package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.Rejection;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HistoryWriterTest {
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
  void empty() throws SQLException {
    exec("TRUNCATE living_map_history, living_map_rejected_events");
  }

  static void exec(String sql) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute(sql);
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

  static Event event(long seq, String msgId, Acker acker) {
    return new Event(
        seq,
        "e1",
        Instant.parse("2026-01-01T00:00:00Z").plusMillis(seq),
        "node.metrics.node-1",
        "node:node-1",
        "node",
        "node-registry",
        new JsonObject().put("node_id", "node-1").put("cpu", 0.5).put("seq", seq),
        msgId,
        acker);
  }

  HistoryWriter writer(int batch, Duration linger) {
    return new HistoryWriter(db.dataSource(), db, batch, linger, 100_000);
  }

  @Test
  void writesEventsInBatchesAndAcksEachOnce() throws Exception {
    AtomicInteger acks = new AtomicInteger();
    List<Event> events = new ArrayList<>();
    for (int i = 1; i <= 2500; i++) {
      events.add(event(i, "m" + i, acks::incrementAndGet));
    }
    try (HistoryWriter w = writer(1000, Duration.ofMillis(20))) {
      w.onEvents(events);
      await().atMost(Duration.ofSeconds(30)).until(() -> acks.get() == 2500);
      assertThat(w.rowsWritten()).isEqualTo(2500);
      assertThat(w.batchesWritten()).isBetween(3L, 2500L);
      assertThat(w.status().state()).isEqualTo(HistoryWriter.State.OK);
    }
    assertThat(count("SELECT count(*) FROM living_map_history")).isEqualTo(2500);
    assertThat(count("SELECT count(DISTINCT seq) FROM living_map_history")).isEqualTo(2500);
    assertThat(acks.get()).isEqualTo(2500);
  }

  @Test
  void aRedeliveredMessageIdIsWrittenOnceAndAckedBothTimes() throws Exception {
    AtomicInteger acks = new AtomicInteger();
    try (HistoryWriter w = writer(10, Duration.ofMillis(5))) {
      w.onEvents(List.of(event(1, "js-42", acks::incrementAndGet)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 1);
      // JetStream redelivers the same message; the sequencer gives it a new seq.
      w.onEvents(
          List.of(event(2, "js-42", acks::incrementAndGet), event(3, null, acks::incrementAndGet)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 3);
      assertThat(w.status().duplicatesSkipped()).isEqualTo(1);
    }
    assertThat(count("SELECT count(*) FROM living_map_history WHERE msg_id = 'js-42'"))
        .isEqualTo(1);
    assertThat(count("SELECT count(*) FROM living_map_history")).isEqualTo(2);
  }

  @Test
  void aRetriedBatchWithTheSameSeqWritesNothingTwice() throws Exception {
    AtomicInteger acks = new AtomicInteger();
    try (HistoryWriter w = writer(10, Duration.ofMillis(5))) {
      w.onEvents(List.of(event(7, null, acks::incrementAndGet)));
      w.onEvents(List.of(event(7, null, acks::incrementAndGet)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 2);
    }
    assertThat(count("SELECT count(*) FROM living_map_history WHERE seq = 7")).isEqualTo(1);
  }

  @Test
  void acksComeOnlyAfterTheRowIsCommitted() throws Exception {
    List<String> problems = new CopyOnWriteArrayList<>();
    AtomicInteger acks = new AtomicInteger();
    List<Event> events = new ArrayList<>();
    for (int i = 1; i <= 50; i++) {
      long seq = i;
      events.add(
          event(
              seq,
              null,
              () -> {
                // Another connection must already see the row when the ack arrives.
                try (Connection c = db.dataSource().getConnection();
                    PreparedStatement ps =
                        c.prepareStatement(
                            "SELECT count(*) FROM living_map_history WHERE seq = ?")) {
                  ps.setLong(1, seq);
                  try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) != 1) {
                      problems.add("seq " + seq + " acked before commit");
                    }
                  }
                } catch (SQLException e) {
                  problems.add(e.toString());
                }
                acks.incrementAndGet();
              }));
    }
    try (HistoryWriter w = writer(7, Duration.ofMillis(5))) {
      w.onEvents(events);
      await().atMost(Duration.ofSeconds(20)).until(() -> acks.get() == 50);
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void closeFlushesEverythingQueued() throws Exception {
    ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
    HistoryWriter w = writer(1000, Duration.ofSeconds(30)); // would linger for 30 s
    for (long i = 1; i <= 10; i++) {
      long seq = i;
      w.onEvents(List.of(event(seq, null, () -> acked.add(seq))));
    }
    long t0 = System.nanoTime();
    w.close();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    assertThat(acked).hasSize(10);
    assertThat(count("SELECT count(*) FROM living_map_history")).isEqualTo(10);
  }

  @Test
  void rejectedEventsAreStoredWithRawBytesAndReasonThenAcked() throws Exception {
    AtomicInteger acks = new AtomicInteger();
    byte[] raw = "{not json".getBytes(StandardCharsets.UTF_8);
    try (HistoryWriter w = writer(10, Duration.ofMillis(5))) {
      w.reject(
          new Rejection(
              Instant.now(),
              "node.metrics.x",
              "not JSON",
              raw,
              raw.length,
              "r-1",
              acks::incrementAndGet));
      w.reject(
          new Rejection(
              Instant.now(),
              "node.metrics.x",
              "not JSON",
              raw,
              raw.length,
              "r-1",
              acks::incrementAndGet));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 2);
      assertThat(w.rejectedWritten()).isEqualTo(2);
    }
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT subject, reason, raw, size_bytes, msg_id FROM living_map_rejected_events")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("node.metrics.x");
      assertThat(rs.getString(2)).isEqualTo("not JSON");
      assertThat(rs.getBytes(3)).isEqualTo(raw);
      assertThat(rs.getInt(4)).isEqualTo(raw.length);
      assertThat(rs.getString(5)).isEqualTo("r-1");
      assertThat(rs.next()).as("the redelivered rejection is stored once").isFalse();
    }
  }

  @Test
  void aRowPostgresRefusesBecomesARejectionAndDoesNotStopTheWriter() throws Exception {
    AtomicInteger acks = new AtomicInteger();
    Event bad =
        new Event(
            2,
            "e1",
            Instant.now(),
            "agent.event.status",
            "agent:x",
            "agent",
            "agents-service",
            new JsonObject().put("text", "nul\u0000byte"),
            null,
            acks::incrementAndGet);
    try (HistoryWriter w = writer(10, Duration.ofMillis(50))) {
      w.onEvents(
          List.of(
              event(1, null, acks::incrementAndGet), bad, event(3, null, acks::incrementAndGet)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 3);
      w.onEvents(List.of(event(4, null, acks::incrementAndGet)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 4);
      assertThat(w.status().unstorableRows()).isEqualTo(1);
    }
    assertThat(count("SELECT count(*) FROM living_map_history")).isEqualTo(3);
    assertThat(
            count(
                "SELECT count(*) FROM living_map_rejected_events"
                    + " WHERE subject = 'agent.event.status' AND reason LIKE 'not storable%'"))
        .isEqualTo(1);
  }
}
