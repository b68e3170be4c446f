package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * History pages answered from the rows the writer committed, against the same pages read from
 * PostgreSQL: equal JSON (the estimated total aside), paging on into PostgreSQL without a gap or a
 * duplicate, hidden layers hidden, and PostgreSQL again whenever memory cannot be sure.
 */
class RecentHistoryTest {
  static Database db;

  /** Enough rows above the floor for memory to answer (more than the exact count's cap). */
  static final int RECENT = HistoryStore.TOTAL_CAP + 6_000;

  static final Instant BASE = Instant.parse("2026-03-01T00:00:00Z");

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

  /** Payload texts whose jsonb form differs from the input: key order, numbers, escapes. */
  static final String[] PAYLOADS = {
    "{\"zeta\":1,\"a\":2,\"bb\":{\"y\":1e2,\"x\":[1.50,-0,-0.0,\"\\u0001\\ttab\"]},\"a\":3}",
    "{\"status\":\"online\",\"load\":1.0E7,\"small\":1.5E-5,\"big\":123456789012345678901234567890}",
    "{\"name\":\"Ünïcødé 🙂 \\\"q\\\" \\\\ \\/\",\"é\":true,\"e\":false,\"n\":null,\"arr\":[]}",
    "{}",
    "{\"nested\":{\"deeper\":{\"k2\":[{\"b\":1,\"a\":2}],\"k1\":0.1}},\"ts\":\"2026-01-01T00:00:00Z\"}",
  };

  /** Mostly nodes, so that filters on them still match more rows than the exact count's cap. */
  static final String[] TYPES = {
    "node", "node", "agent", "node", "node", "dao", "node", "node", null, "node", "node", "node"
  };

  private static Event event(long seq) {
    String type = TYPES[(int) (seq % TYPES.length)];
    String entity = type == null ? null : type + ":" + (seq % 37);
    String subject = type == null ? "system.tick" : type + ".event.s" + (seq % 3);
    byte[] payload =
        seq % 97 == 0
            ? ("{\"blob\":\"" + "x".repeat(20_000) + "\"}").getBytes(StandardCharsets.UTF_8)
            : PAYLOADS[(int) (seq % PAYLOADS.length)].getBytes(StandardCharsets.UTF_8);
    // Neighbours swap places in time and every fifth pair shares a timestamp: the page order is
    // by (timestamp, seq), not by arrival; sub-microsecond parts are rounded as PostgreSQL does.
    long ms = (seq % 2 == 0 ? seq - 1 : seq + 1);
    Instant at = BASE.plusMillis(seq % 10 < 2 ? seq - seq % 2 : ms).plusNanos(500 + seq % 3);
    return new Event(
        seq,
        "ep1",
        at,
        subject,
        entity,
        type,
        type == null ? null : type + "s-service",
        new JsonObject(),
        "m" + seq,
        null,
        payload);
  }

  private static List<Event> events(long from, long to) {
    List<Event> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(event(s));
    }
    return out;
  }

  private static void writeAll(HistoryWriter w, List<Event> events, long expectedRows) {
    w.onEvents(events);
    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> w.status().rowsWritten() + w.status().duplicatesSkipped() >= expectedRows);
  }

  private static HistoryQuery query(Map<String, String> params) {
    return HistoryQuery.parse(params);
  }

  /** The page without its total, which both sides only estimate. */
  private static String comparable(JsonObject page) {
    assertThat(page.getBoolean("total_is_estimate")).isTrue();
    JsonObject copy = page.copy();
    copy.remove("total");
    return copy.encode();
  }

  @Test
  void pagesFromMemoryEqualThePagesOfPostgresql() throws Exception {
    HistoryStore store = new HistoryStore(db.dataSource(), db.executor(), 64 * 1024, 1024 * 1024);
    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      // Rows stored before memory attached: below its floor, answered by PostgreSQL.
      writeAll(w, events(1, 600), 600);
      w.feed(recent);
      recent.start(db.dataSource());
      store.answerRecentFrom(recent, Runnable::run);
      writeAll(w, events(601, 600 + RECENT), 600 + RECENT);
    }

    List<Map<String, String>> cases =
        List.of(
            Map.of(),
            Map.of("limit", "1000"),
            Map.of("limit", "1000", "offset", "2000"),
            Map.of("limit", "7", "offset", "3"),
            Map.of("event_type", "node.event.*", "limit", "50"),
            Map.of("event_type", ">"),
            Map.of("event_type", "node.>", "limit", "300"),
            Map.of("entity_type", "node", "limit", "500", "offset", "11"),
            Map.of("source_service", "nodes-service"),
            Map.of(
                "since", BASE.plusSeconds(1).toString(), "until", BASE.plusSeconds(12).toString()));
    for (Map<String, String> params : cases) {
      HistoryQuery q = query(params);
      JsonObject fromMemory = recent.page(q, 64 * 1024);
      assertThat(fromMemory).as("memory answers %s", params).isNotNull();
      JsonObject fromDatabase = store.fromDatabase(q).join();
      assertThat(comparable(fromMemory)).as("%s", params).isEqualTo(comparable(fromDatabase));
      assertThat(fromMemory.getLong("total")).isGreaterThan((long) HistoryStore.TOTAL_CAP);
      // The bytes sent: gzipped once when asked, and the same JSON either way.
      HistoryStore.PageBytes zipped = store.queryBytes(q, true).join();
      HistoryStore.PageBytes plain = store.queryBytes(q, false).join();
      assertThat(zipped.gzipped()).as("%s", params).isTrue();
      assertThat(plain.gzipped()).isFalse();
      assertThat(gunzip(zipped.bytes())).isEqualTo(plain.bytes().getBytes());
      assertThat(new JsonObject(plain.bytes())).isEqualTo(fromMemory);
    }
    // A page PostgreSQL answers is left to the transport's compressor.
    HistoryStore.PageBytes fromDb =
        store.queryBytes(query(Map.of("before_seq", "5000")), true).join();
    assertThat(fromDb.gzipped()).isFalse();
    assertThat(new JsonObject(fromDb.bytes()).getJsonArray("items")).isNotEmpty();
    // A page cut by the byte budget (a 20 kB row every 97) is cut at the same row.
    JsonObject big = recent.page(query(Map.of("limit", "1000")), 64 * 1024);
    assertThat(big.getBoolean("truncated")).isTrue();

    // Hidden layers: their rows vanish from memory's page exactly as from PostgreSQL's.
    HistoryQuery hidden = query(Map.of("limit", "400")).hiding(Set.of("agent", "dao"));
    JsonObject visible = recent.page(hidden, 64 * 1024);
    assertThat(visible).isNotNull();
    assertThat(
            visible.getJsonArray("items").stream()
                .map(o -> ((JsonObject) o).getString("entity_type")))
        .doesNotContain("agent", "dao")
        .contains("node");
    assertThat(comparable(visible)).isEqualTo(comparable(store.fromDatabase(hidden).join()));

    // Forms memory does not answer: seq cursors, sub-microsecond bounds, too few matches.
    assertThat(recent.page(query(Map.of("before_seq", "5000")), 64 * 1024)).isNull();
    assertThat(recent.page(query(Map.of("since", "2026-03-01T00:00:01.0000001Z")), 64 * 1024))
        .isNull();
    assertThat(recent.page(query(Map.of("entity_id", "node:3")), 64 * 1024)).isNull();
    assertThat(recent.page(query(Map.of("offset", String.valueOf(RECENT))), 64 * 1024)).isNull();
  }

  /**
   * After a restart the newest stored rows are read back, so memory answers at once, with
   * PostgreSQL's own pages; rows it cannot order as PostgreSQL does (a row of the original service,
   * without seq or epoch) and everything older stay PostgreSQL's.
   */
  @Test
  void afterARestartTheNewestRowsAreReadBackAndAnswerAsPostgresqlWould() throws Exception {
    HistoryStore store = new HistoryStore(db.dataSource(), db.executor(), 64 * 1024, 1024 * 1024);
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      writeAll(w, events(1, RECENT), RECENT);
    }
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      // A row of the original service, older than all of ours: no seq, no epoch.
      st.execute(
          "INSERT INTO living_map_history (id, timestamp, event_type, payload)"
              + " VALUES (gen_random_uuid(), '2026-02-01T00:00:00Z', 'node.event.s0', '{\"a\": 1}')");
    }
    RecentHistory cold =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    cold.start(db.dataSource());
    assertThat(cold.page(query(Map.of()), 64 * 1024)).as("without reading back").isNull();

    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    recent.start(db.dataSource(), true);
    store.answerRecentFrom(recent, Runnable::run);
    for (Map<String, String> params :
        List.of(
            Map.<String, String>of(),
            Map.of("limit", "1000", "offset", "2000"),
            Map.of("event_type", "node.>", "limit", "300"),
            Map.of("entity_type", "node", "limit", "500", "offset", "11"),
            Map.of(
                "since",
                BASE.plusSeconds(1).toString(),
                "until",
                BASE.plusSeconds(12).toString()))) {
      HistoryQuery q = query(params);
      JsonObject fromMemory = recent.page(q, 64 * 1024);
      assertThat(fromMemory).as("memory answers %s", params).isNotNull();
      assertThat(comparable(fromMemory))
          .as("%s", params)
          .isEqualTo(comparable(store.fromDatabase(q).join()));
    }
    // The page that would reach the original's row is PostgreSQL's.
    assertThat(
            recent.page(
                query(Map.of("limit", "1000", "offset", String.valueOf(RECENT - 1000))), 64 * 1024))
        .isNull();
  }

  private static byte[] gunzip(io.vertx.core.buffer.Buffer b) throws java.io.IOException {
    try (var in =
        new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(b.getBytes()))) {
      return in.readAllBytes();
    }
  }

  @Test
  void pagingRunsOnFromMemoryIntoPostgresqlWithoutGapOrDuplicate() throws Exception {
    HistoryStore store = new HistoryStore(db.dataSource(), db.executor(), 1024 * 1024, 1024 * 1024);
    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      writeAll(w, events(1, 600), 600);
      w.feed(recent);
      recent.start(db.dataSource());
      store.answerRecentFrom(recent, Runnable::run);
      writeAll(w, events(601, 600 + RECENT), 600 + RECENT);
    }
    List<String> paged = new ArrayList<>();
    JsonObject next = new JsonObject().put("offset", 0);
    while (next != null) {
      JsonObject page =
          store
              .query(
                  query(
                      Map.of("limit", "1000", "offset", String.valueOf(next.getInteger("offset")))))
              .join();
      JsonArray items = page.getJsonArray("items");
      for (int i = 0; i < items.size(); i++) {
        paged.add(items.getJsonObject(i).getString("id"));
      }
      next = page.getJsonObject("next");
    }
    List<String> stored = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id FROM living_map_history ORDER BY timestamp DESC, seq DESC");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        stored.add(rs.getString(1));
      }
    }
    assertThat(new HashSet<>(paged)).hasSize(paged.size());
    assertThat(paged).isEqualTo(stored);
    assertThat(store.memoryPages()).as("pages answered from memory").isGreaterThan(0);
    assertThat(store.databasePages()).as("pages past memory's window").isGreaterThan(0);
  }

  /**
   * While memory holds every row in history (a young or small history: DAARION's today, 20
   * events/s, where PostgreSQL answered 366-606 pages/s at c=32, 2026-12-07), it answers pages with
   * few matches too, each equal to PostgreSQL's as a whole, the exact total, {@code has_more} and
   * {@code next} included; once a batch is stored around the COPY, PostgreSQL answers them again.
   */
  @Test
  void aWholeHistoryIsAnsweredExactlyAsPostgresqlWould() throws Exception {
    int rows = 1_500;
    HistoryStore store = new HistoryStore(db.dataSource(), db.executor(), 64 * 1024, 1024 * 1024);
    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    List<Map<String, String>> cases =
        List.of(
            Map.of(),
            Map.of("limit", "1000"),
            Map.of("limit", "1"),
            Map.of("limit", "200", "offset", "1400"),
            Map.of("limit", "100", "offset", "1500"),
            Map.of("offset", "5000"),
            Map.of("entity_id", "node:3"),
            Map.of("entity_id", "nobody"),
            Map.of("event_type", "node.event.*", "limit", "50", "offset", "7"),
            Map.of("entity_type", "agent", "limit", "5"),
            Map.of("source_service", "daos-service"),
            Map.of(
                "since",
                BASE.plusSeconds(1).toString(),
                "until",
                BASE.plusMillis(1_200).toString()));
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      w.feed(recent);
      recent.start(db.dataSource());
      store.answerRecentFrom(recent, Runnable::run);
      JsonObject none = recent.page(query(Map.of()), 64 * 1024);
      assertThat(none).as("an empty history").isNotNull();
      assertThat(none.encode()).isEqualTo(store.fromDatabase(query(Map.of())).join().encode());
      writeAll(w, events(1, rows), rows);
      for (Map<String, String> params : cases) {
        HistoryQuery q = query(params);
        JsonObject fromMemory = recent.page(q, 64 * 1024);
        assertThat(fromMemory).as("memory answers %s", params).isNotNull();
        assertThat(fromMemory.getBoolean("total_is_estimate")).isFalse();
        assertThat(fromMemory.encode())
            .as("%s", params)
            .isEqualTo(store.fromDatabase(q).join().encode());
        assertThat(new JsonObject(store.queryBytes(q, false).join().bytes())).isEqualTo(fromMemory);
      }
      assertThat(recent.page(query(Map.of("limit", "1000")), 64 * 1024).getBoolean("truncated"))
          .as("cut by the byte budget at the same row")
          .isTrue();
      HistoryQuery hidden = query(Map.of("limit", "400")).hiding(Set.of("agent", "dao"));
      assertThat(recent.page(hidden, 64 * 1024).encode())
          .isEqualTo(store.fromDatabase(hidden).join().encode());

      // A redelivery sends its batch through the insert, whose ids memory never sees.
      List<Event> batch = new ArrayList<>(events(rows + 1, rows + 3));
      batch.add(event(5));
      writeAll(w, batch, rows + 4);
    }
    for (Map<String, String> params : cases) {
      assertThat(recent.page(query(params), 64 * 1024)).as("%s", params).isNull();
    }
  }

  /** Rows the retention job may be deleting make the count uncertain: PostgreSQL answers. */
  @Test
  void aWholeHistoryReachingTheRetentionsCutOffIsLeftToPostgresql() throws Exception {
    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(1), Clock.systemUTC());
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      w.feed(recent);
      recent.start(db.dataSource());
      assertThat(recent.page(query(Map.of()), 64 * 1024)).as("empty: exact").isNotNull();
      writeAll(w, events(1, 300), 300); // March 2026: past a day's retention
    }
    assertThat(recent.mightAnswer()).isTrue();
    assertThat(recent.page(query(Map.of()), 64 * 1024)).isNull();
  }

  @Test
  void rowsStoredAroundTheCopyLeaveTheirTimeToPostgresql() throws Exception {
    HistoryStore store = new HistoryStore(db.dataSource(), db.executor(), 1024 * 1024, 1024 * 1024);
    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      w.feed(recent);
      recent.start(db.dataSource());
      store.answerRecentFrom(recent, Runnable::run);
      writeAll(w, events(1, RECENT), RECENT);
      HistoryQuery newest = query(Map.of());
      assertThat(recent.page(newest, HistoryStore.DEFAULT_RESPONSE_BYTES)).isNotNull();
      // A redelivery in the batch sends it through the insert, whose row ids memory never sees:
      // from then on memory answers nothing at or before that batch's time.
      List<Event> batch = new ArrayList<>(events(RECENT + 1, RECENT + 3));
      batch.add(event(5));
      writeAll(w, batch, RECENT + 4);
      assertThat(w.status().duplicatesSkipped()).isEqualTo(1);
    }
    HistoryQuery newest = query(Map.of());
    assertThat(recent.page(newest, HistoryStore.DEFAULT_RESPONSE_BYTES)).isNull();
    long before = store.databasePages();
    JsonObject page = store.query(newest).join();
    assertThat(store.databasePages()).isEqualTo(before + 1);
    assertThat(page.getJsonArray("items").getJsonObject(0).getLong("seq"))
        .isIn((long) RECENT + 2, (long) RECENT + 3);
  }

  /**
   * Rows stored around the COPY leave memory missing them; once such batches stop, the writer has
   * it read history back, and every page is answered from memory again, PostgreSQL's to the byte,
   * with no restart. Until then PostgreSQL answers.
   */
  @Test
  void memoryReadsHistoryBackOnceBatchesStopGoingAroundTheCopy() throws Exception {
    HistoryStore store = new HistoryStore(db.dataSource(), db.executor(), 64 * 1024, 1024 * 1024);
    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    recent.readBackAfter(Duration.ofDays(1));
    List<Map<String, String>> cases =
        List.of(
            Map.of(),
            Map.of("limit", "1000"),
            Map.of("entity_id", "node:3"),
            Map.of("event_type", "node.event.*", "limit", "50", "offset", "7"),
            Map.of("limit", "100", "offset", "500"));
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      w.feed(recent);
      recent.start(db.dataSource());
      store.answerRecentFrom(recent, Runnable::run);
      writeAll(w, events(1, 600), 600);
      List<Event> batch = new ArrayList<>(events(601, 603));
      batch.add(event(5)); // a redelivery: the batch goes through the insert
      writeAll(w, batch, 604);
      for (Map<String, String> params : cases) {
        assertThat(recent.page(query(params), 64 * 1024)).as("missing rows: %s", params).isNull();
      }

      recent.readBackAfter(Duration.ZERO);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> recent.page(query(Map.of("entity_id", "node:3")), 64 * 1024) != null);
      writeAll(w, events(604, 700), 701); // and the COPY feeds memory on top of what it read
      for (Map<String, String> params : cases) {
        HistoryQuery q = query(params);
        JsonObject fromMemory = recent.page(q, 64 * 1024);
        assertThat(fromMemory).as("read back: %s", params).isNotNull();
        assertThat(fromMemory.encode())
            .as("%s", params)
            .isEqualTo(store.fromDatabase(q).join().encode());
      }
      JsonObject newest = recent.page(query(Map.of()), 64 * 1024);
      assertThat(newest.getJsonArray("items").getJsonObject(0).getLong("seq")).isEqualTo(700L);
    }
  }

  /** A start that cannot read history leaves memory silent until the writer has it read again. */
  @Test
  void aStartThatCouldNotReadHistoryIsRepairedByReadingItBack() throws Exception {
    RecentHistory recent =
        new RecentHistory(64L * 1024 * 1024, Duration.ofDays(3650), Clock.systemUTC());
    recent.readBackAfter(Duration.ofDays(1));
    org.postgresql.ds.PGSimpleDataSource unreachable = new org.postgresql.ds.PGSimpleDataSource();
    unreachable.setURL("jdbc:postgresql://127.0.0.1:1/none");
    unreachable.setConnectTimeout(2);
    try (HistoryWriter w =
        new HistoryWriter(db.dataSource(), db, 500, Duration.ofMillis(5), 100_000)) {
      w.feed(recent);
      recent.start(unreachable);
      writeAll(w, events(1, 300), 300);
      assertThat(recent.page(query(Map.of()), 64 * 1024)).isNull();

      recent.readBackAfter(Duration.ZERO);
      HistoryStore store = new HistoryStore(db.dataSource(), db.executor(), 64 * 1024, 1024 * 1024);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> recent.page(query(Map.of()), 64 * 1024) != null);
      assertThat(recent.page(query(Map.of()), 64 * 1024).encode())
          .isEqualTo(store.fromDatabase(query(Map.of())).join().encode());
    }
  }

  @Test
  void jsonbTextIsWhatPostgresqlPrints() throws Exception {
    List<String> inputs = new ArrayList<>(List.of(PAYLOADS));
    inputs.addAll(
        List.of(
            "{\"a\":1E400,\"b\":-1.000e-3,\"c\":12345678.5,\"dd\":1.2345678E7,\"e\":0e5}",
            "{\"ab\":1,\"b\":2,\"aa\":3,\"\u00e9\":4,\"z\":5,\"\\u00e9\":6}",
            "{\"ctl\":\"\\b\\f\\n\\r\\t\\u001f\\u007f \u2028\"}"));
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT ?::jsonb::text")) {
      for (String in : inputs) {
        ps.setString(1, in);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(JsonbText.of(in.getBytes(StandardCharsets.UTF_8)))
              .as(in)
              .isEqualTo(rs.getString(1));
        }
      }
    }
  }
}
