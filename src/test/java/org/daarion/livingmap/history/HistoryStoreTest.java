package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HistoryStoreTest {
  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  static Database db;
  static HistoryStore store;

  static Event ev(long seq, String type, String entity, String entityType, String source) {
    return new Event(
        seq,
        "e1",
        T0.plusSeconds(seq),
        type,
        entity,
        entityType,
        source,
        new JsonObject().put("n", seq),
        "m" + seq,
        null);
  }

  @BeforeAll
  static void seed() throws Exception {
    db = Database.start(TestDatabase.create().config());
    store = new HistoryStore(db);
    List<Event> events = new ArrayList<>();
    for (long s = 1; s <= 10; s++) {
      events.add(
          ev(
              s,
              "agent.event.status",
              s % 2 == 1 ? "agent:a" : "agent:b",
              "agent",
              "agents-service"));
    }
    for (long s = 11; s <= 20; s++) {
      String type =
          s == 20
              ? "dao.event.x.y"
              : s % 2 == 1 ? "dao.event.proposal_created" : "dao.event.vote_cast";
      events.add(ev(s, type, "dao:d1", "dao", "dao-service"));
    }
    for (long s = 21; s <= 30; s++) {
      events.add(ev(s, "node.metrics.node-1", "node:node-1", "node", "node-registry"));
    }
    events.add(ev(31, "agent.event.status.extra", "agent:a", "agent", "agents-service"));
    try (Connection c = db.dataSource().getConnection()) {
      HistoryRows.insertEvents(c, events);
    }
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  static JsonObject q(String... kv) throws Exception {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return store.query(HistoryQuery.parse(m)).get();
  }

  static List<Long> seqs(JsonObject result) {
    List<Long> out = new ArrayList<>();
    for (Object o : result.getJsonArray("items")) {
      out.add(((JsonObject) o).getLong("seq"));
    }
    return out;
  }

  @Test
  void newestFirstWithHasMoreAndTotal() throws Exception {
    JsonObject r = q("limit", "5");
    assertThat(seqs(r)).containsExactly(31L, 30L, 29L, 28L, 27L);
    assertThat(r.getBoolean("has_more")).isTrue();
    assertThat(r.getLong("total")).isEqualTo(31);
    assertThat(r.getBoolean("total_is_estimate")).isFalse();
    JsonObject item = r.getJsonArray("items").getJsonObject(1);
    assertThat(item.fieldNames())
        .contains(
            "id",
            "timestamp",
            "event_type",
            "payload",
            "source_service",
            "entity_id",
            "entity_type",
            "seq",
            "epoch");
    assertThat(item.getString("timestamp")).isEqualTo(T0.plusSeconds(30).toString());
    assertThat(item.getJsonObject("payload")).isEqualTo(new JsonObject().put("n", 30));
  }

  @Test
  void limitAndOffsetPage() throws Exception {
    JsonObject r = q("limit", "10", "offset", "25");
    assertThat(seqs(r)).containsExactly(6L, 5L, 4L, 3L, 2L, 1L);
    assertThat(r.getBoolean("has_more")).isFalse();
    assertThat(r.getLong("total")).isEqualTo(31);
  }

  @Test
  void eventTypeExactAndWildcards() throws Exception {
    assertThat(seqs(q("event_type", "agent.event.status"))).hasSize(10).doesNotContain(31L);
    assertThat(seqs(q("event_type", "agent.event.*"))).hasSize(10).doesNotContain(31L);
    assertThat(seqs(q("event_type", "agent.>"))).hasSize(11).contains(31L);
    assertThat(seqs(q("event_type", "dao.>"))).hasSize(10);
    assertThat(seqs(q("event_type", "dao.event.*"))).hasSize(9).doesNotContain(20L);
    assertThat(seqs(q("event_type", "*.event.vote_cast"))).containsExactly(18L, 16L, 14L, 12L);
    assertThat(seqs(q("event_type", "dao"))).isEmpty();
    assertThat(seqs(q("event_type", "node.metrics.node-1"))).hasSize(10);
    // Regex characters in a literal token are literal.
    assertThat(seqs(q("event_type", "node.metrics.node-?1"))).isEmpty();
  }

  @Test
  void entityAndTypeAndSourceFilters() throws Exception {
    assertThat(seqs(q("entity_id", "agent:a"))).containsExactly(31L, 9L, 7L, 5L, 3L, 1L);
    assertThat(seqs(q("entity_type", "dao"))).hasSize(10);
    assertThat(seqs(q("source_service", "node-registry")))
        .containsExactly(30L, 29L, 28L, 27L, 26L, 25L, 24L, 23L, 22L, 21L);
    assertThat(seqs(q("entity_type", "agent", "source_service", "dao-service"))).isEmpty();
  }

  @Test
  void sinceAndUntil() throws Exception {
    JsonObject r = q("since", T0.plusSeconds(5).toString(), "until", T0.plusSeconds(8).toString());
    assertThat(seqs(r)).containsExactly(8L, 7L, 6L, 5L);
    assertThat(r.getLong("total")).isEqualTo(4);
  }

  @Test
  void seqCursors() throws Exception {
    assertThat(seqs(q("before_seq", "4"))).containsExactly(3L, 2L, 1L);
    assertThat(seqs(q("after_seq", "28"))).containsExactly(31L, 30L, 29L);
    assertThat(seqs(q("after_seq", "10", "before_seq", "13"))).containsExactly(12L, 11L);
    JsonObject page = q("before_seq", "20", "limit", "3");
    assertThat(seqs(page)).containsExactly(19L, 18L, 17L);
    assertThat(page.getBoolean("has_more")).isTrue();
    assertThat(seqs(q("before_seq", "20", "epoch", "other"))).isEmpty();
  }

  @Test
  void recentForEntityAndLastPositionAndEventsAfter() throws Exception {
    JsonArray recent = store.recentForEntity("dao:d1", 3).get();
    assertThat(recent).hasSize(3);
    assertThat(recent.getJsonObject(0).getLong("seq")).isEqualTo(20);
    HistoryStore.Position p = store.lastPosition().get().orElseThrow();
    assertThat(p.epoch()).isEqualTo("e1");
    assertThat(p.seq()).isEqualTo(31);
    List<Event> after = store.eventsAfter("e1", 27, 3).get();
    assertThat(after).extracting(Event::seq).containsExactly(28L, 29L, 30L);
    assertThat(after.get(0).eventType()).isEqualTo("node.metrics.node-1");
    assertThat(after.get(0).payload().getLong("n")).isEqualTo(28);
    assertThat(after.get(0).msgId()).isEqualTo("m28");
  }

  @Test
  void statsCountPerBucketAndType() throws Exception {
    JsonObject s =
        store.stats(new HistoryQuery.Stats(T0, T0.plusSeconds(40), Duration.ofSeconds(10))).get();
    assertThat(s.getLong("total")).isEqualTo(31);
    JsonArray buckets = s.getJsonArray("buckets");
    assertThat(buckets).hasSize(4);
    // Bucket [T0, T0+10s) holds seqs 1..9; [T0+10s, +20s) holds 10..19.
    assertThat(buckets.getJsonObject(0).getLong("count")).isEqualTo(9);
    assertThat(buckets.getJsonObject(0).getJsonObject("by_type").getLong("agent.event.status"))
        .isEqualTo(9);
    assertThat(buckets.getJsonObject(1).getLong("count")).isEqualTo(10);
    assertThat(s.getJsonObject("by_type").getLong("node.metrics.node-1")).isEqualTo(10);
  }

  @Test
  void rejectedListShowsUtf8TextOrBase64() throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO living_map_rejected_events (subject, reason, raw, size_bytes)"
                    + " VALUES (?, ?, ?, ?)")) {
      ps.setString(1, "usage.llm");
      ps.setString(2, "not JSON");
      ps.setBytes(3, "hello {".getBytes(StandardCharsets.UTF_8));
      ps.setInt(4, 7);
      ps.executeUpdate();
      ps.setString(1, "usage.agent");
      ps.setString(2, "not UTF-8");
      ps.setBytes(3, new byte[] {(byte) 0xff, (byte) 0xfe, 1});
      ps.setInt(4, 100);
      ps.executeUpdate();
    }
    JsonObject r = store.rejected(10, 0).get();
    assertThat(r.getLong("total")).isEqualTo(2);
    JsonObject bin = r.getJsonArray("items").getJsonObject(0);
    assertThat(bin.getString("raw_encoding")).isEqualTo("base64");
    assertThat(bin.getString("raw")).isEqualTo("//4B");
    assertThat(bin.getBoolean("raw_truncated")).isTrue();
    JsonObject text = r.getJsonArray("items").getJsonObject(1);
    assertThat(text.getString("raw")).isEqualTo("hello {");
    assertThat(text.getString("raw_encoding")).isEqualTo("utf8");
    assertThat(text.getString("reason")).isEqualTo("not JSON");
    assertThat(store.rejectedCount().get()).isEqualTo(2);
  }

  @Test
  void totalIsCappedAndEstimatedOnLargeResults() throws Exception {
    try (Database big = Database.start(TestDatabase.create().config())) {
      List<Event> events = new ArrayList<>();
      for (long s = 1; s <= HistoryStore.TOTAL_CAP + 500; s++) {
        events.add(ev(s, "usage.llm", "agent:a", "agent", "usage-engine"));
      }
      try (Connection c = big.dataSource().getConnection()) {
        HistoryRows.insertEvents(c, events);
        c.createStatement().execute("ANALYZE living_map_history");
      }
      JsonObject r = new HistoryStore(big).query(HistoryQuery.parse(Map.of("limit", "10"))).get();
      assertThat(r.getJsonArray("items")).hasSize(10);
      assertThat(r.getBoolean("has_more")).isTrue();
      assertThat(r.getBoolean("total_is_estimate")).isTrue();
      assertThat(r.getLong("total")).isGreaterThan(HistoryStore.TOTAL_CAP);
    }
  }
}
