package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The writer's COPY path: text escapes, and the fall-back to the insert on a stored row. */
class HistoryWriterCopyTest {
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
  void empty() throws Exception {
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute("TRUNCATE living_map_history, living_map_rejected_events");
    }
  }

  private static Event event(long seq, String entityId, JsonObject payload, String msgId) {
    return event(
        seq, entityId, payload, msgId, Instant.parse("2026-01-01T00:00:00Z").plusMillis(seq));
  }

  private static Event event(long seq, Instant at, String msgId) {
    return event(seq, "agent:t", new JsonObject(), msgId, at);
  }

  private static Event event(
      long seq, String entityId, JsonObject payload, String msgId, Instant at) {
    return new Event(
        seq,
        "e1",
        at,
        "agent.event.status",
        entityId,
        "agent",
        "agents-service",
        payload,
        msgId,
        null);
  }

  @Test
  void tabsNewlinesAndBackslashesSurviveTheCopy() throws Exception {
    String odd = "a\tb\nc\rd\\e \\N \"q\" ünï 🙂";
    JsonObject payload = new JsonObject().put("text", odd).put("path", "C:\\dir\\file");
    AtomicInteger acks = new AtomicInteger();
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 100, Duration.ofMillis(5), 1000)) {
      w.onEvents(
          List.of(
              new Event(
                  1,
                  "e1",
                  Instant.parse("2026-01-01T00:00:00Z"),
                  "agent.event.status",
                  "agent:" + odd,
                  "agent",
                  null,
                  payload,
                  "m\\1\t",
                  acks::incrementAndGet)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 1);
      assertThat(w.copyConflicts()).isZero();
    }
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT entity_id, payload::text, source_service, msg_id FROM living_map_history")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("agent:" + odd);
      assertThat(new JsonObject(rs.getString(2))).isEqualTo(payload);
      assertThat(rs.getString(3)).isNull();
      assertThat(rs.getString(4)).isEqualTo("m\\1\t");
    }
  }

  @Test
  void aPayloadIsCopiedAsItArrivedWhitespaceAndEscapesIncluded() throws Exception {
    String raw =
        "{\n\t\"agent_id\" : \"a\\\\b\",\r\n \"note\":\"tab\\there \\u00e9 ü\",\"n\":1.50}";
    byte[] data = raw.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    JsonObject parsed = new JsonObject(raw);
    Instant at = Instant.parse("2026-01-01T00:00:00.123456Z");
    Event in = Event.incoming("agent.event.status", parsed, data, at, "js:S:9", null);
    assertThat(in.payloadJson()).as("plain JSON is kept as it arrived").isSameAs(data);
    AtomicInteger acks = new AtomicInteger();
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 100, Duration.ofMillis(5), 1000)) {
      w.onEvents(List.of(withAck(in.sequenced(1, "e1", "agent:a\\b"), acks)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 1);
      assertThat(w.copyConflicts()).isZero();
      assertThat(w.status().unstorableRows()).isZero();
    }
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT payload::text, timestamp, msg_id, entity_id FROM living_map_history")) {
      assertThat(rs.next()).isTrue();
      assertThat(new JsonObject(rs.getString(1))).isEqualTo(parsed);
      assertThat(rs.getTimestamp(2).toInstant()).isEqualTo(at);
      assertThat(rs.getString(3)).isEqualTo("js:S:9");
      assertThat(rs.getString(4)).isEqualTo("agent:a\\b");
    }
  }

  @Test
  void timestampsAreStoredAsPostgreSqlReadsTheirText() throws Exception {
    List<Instant> times =
        List.of(
            Instant.parse("2026-01-01T00:00:00.123456Z"),
            Instant.parse("2026-01-01T00:00:00.1234565Z"),
            Instant.parse("2026-01-01T00:00:00.1234575Z"),
            Instant.parse("2026-01-01T00:00:00.9999996Z"),
            Instant.parse("1999-12-31T23:59:59.9999995Z"),
            Instant.parse("1970-01-01T00:00:00Z"),
            Instant.parse("1901-05-06T07:08:09.0000005Z"));
    AtomicInteger acks = new AtomicInteger();
    List<Instant> held = new java.util.ArrayList<>();
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 100, Duration.ofMillis(5), 1000)) {
      List<Event> events = new java.util.ArrayList<>();
      for (int i = 0; i < times.size(); i++) {
        events.add(withAck(event(i + 1, times.get(i), "js:T:" + i), acks));
      }
      w.onEvents(events);
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == times.size());
      assertThat(w.copyConflicts()).isZero();
      // An event keeps its time to the microsecond, as history does: what the state derives from
      // it is then the same live and rebuilt from history (DiffApiTest).
      for (Event e : events) {
        assertThat(e.timestamp().getNano() % 1_000).as("%s", e.timestamp()).isZero();
      }
      held.addAll(events.stream().map(Event::timestamp).toList());
    }
    try (Connection c = db.dataSource().getConnection();
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "SELECT timestamp = ?::timestamptz, timestamp::text FROM living_map_history"
                    + " WHERE seq = ?")) {
      for (int i = 0; i < held.size(); i++) {
        ps.setString(1, held.get(i).toString());
        ps.setLong(2, i + 1);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getBoolean(1)).as("%s stored as %s", held.get(i), rs.getString(2)).isTrue();
        }
      }
    }
  }

  @Test
  void aBatchWithAStoredRowFallsBackToTheInsertAndWritesTheRest() throws Exception {
    AtomicInteger acks = new AtomicInteger();
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 100, Duration.ofMillis(5), 1000)) {
      w.onEvents(List.of(withAck(event(1, "agent:a", new JsonObject(), "js:S:1"), acks)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 1);
      // A redelivery the owner did not recognise (a new seq) in one batch with new events.
      w.onEvents(
          List.of(
              withAck(event(2, "agent:a", new JsonObject(), "js:S:1"), acks),
              withAck(event(3, "agent:a", new JsonObject(), "js:S:2"), acks),
              withAck(event(4, "agent:a", new JsonObject(), "js:S:3"), acks)));
      await().atMost(Duration.ofSeconds(10)).until(() -> acks.get() == 4);
      assertThat(w.copyConflicts()).isEqualTo(1);
      assertThat(w.status().duplicatesSkipped()).isEqualTo(1);
    }
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), count(DISTINCT msg_id), string_agg(seq::text, ',' ORDER BY seq)"
                    + " FROM living_map_history")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(3);
      assertThat(rs.getLong(2)).isEqualTo(3);
      assertThat(rs.getString(3)).isEqualTo("1,3,4");
    }
  }

  private static Event withAck(Event e, AtomicInteger acks) {
    return new Event(
        e.seq(),
        e.epoch(),
        e.timestamp(),
        e.eventType(),
        e.entityId(),
        e.entityType(),
        e.sourceService(),
        e.payload(),
        e.msgId(),
        acks::incrementAndGet,
        e.payloadJson());
  }
}
