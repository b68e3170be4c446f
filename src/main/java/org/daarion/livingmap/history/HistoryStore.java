package org.daarion.livingmap.history;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import javax.sql.DataSource;
import org.daarion.livingmap.event.Event;

/**
 * Reads history for the API. Every method runs its blocking JDBC on the database's worker pool and
 * returns a future; JSON results are ready to send (snake_case, ISO-8601 UTC timestamps).
 *
 * <p><b>Cost bounds.</b> Every statement runs under a 10 s {@code statement_timeout}. {@code total}
 * is exact when the page shows that it is (first page, no more rows), else it is counted up to
 * {@link #TOTAL_CAP} rows within a 500 ms budget; past the cap or the budget, the planner's row
 * estimate is reported instead, with {@code "total_is_estimate": true}.
 *
 * <p><b>Order.</b> Newest first by {@code (timestamp, seq)}; with a {@code before_seq} or {@code
 * after_seq} cursor, by {@code seq} descending within the cursor's epoch.
 *
 * <p><b>Payloads.</b> Any row the original service could have written is readable: an object, a
 * JSONB string holding JSON text (parsed and returned as that JSON), a JSONB string holding other
 * text (returned as the string), or NULL.
 */
public final class HistoryStore {
  /** Rows counted exactly at most, for {@code total}. */
  public static final int TOTAL_CAP = 10_000;

  static final String STATEMENT_TIMEOUT = "10s";
  static final String COUNT_TIMEOUT = "500ms";

  /** {@link #COLUMNS} as stored, for a subquery that picks rows before they are converted. */
  private static final String STORED_COLUMNS =
      "id, timestamp, event_type, payload, source_service, entity_id, entity_type, seq, epoch,"
          + " msg_id";

  static final String COLUMNS =
      "id, timestamp, event_type, payload::text, source_service, entity_id, entity_type, seq,"
          + " epoch, msg_id";

  /** The newest sequenced position in history. */
  public record Position(String epoch, long seq, Instant timestamp) {}

  private final DataSource dataSource;
  private final Executor executor;
  private final RejectedEvents rejectedEvents;

  /** Bytes of rows one answer carries at most ({@code LIVING_MAP_RESPONSE_BYTES}). */
  private final long responseBytes;

  private final int maxEventBytes;

  /** 1 MiB: the default of {@code LIVING_MAP_RESPONSE_BYTES}. */
  public static final long DEFAULT_RESPONSE_BYTES = 1024 * 1024;

  public HistoryStore(Database database) {
    this(database, DEFAULT_RESPONSE_BYTES);
  }

  /** 1 MiB: the default of {@code LIVING_MAP_MAX_EVENT_BYTES}, the largest payload stored. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

  public HistoryStore(Database database, long responseBytes) {
    this(database, responseBytes, DEFAULT_MAX_EVENT_BYTES);
  }

  /** {@code maxEventBytes}: the largest payload stored, for the driver's rounds (PageBudget). */
  public HistoryStore(Database database, long responseBytes, int maxEventBytes) {
    this(database.dataSource(), database.executor(), responseBytes, maxEventBytes);
  }

  HistoryStore(DataSource dataSource, Executor executor, long responseBytes, int maxEventBytes) {
    this.dataSource = dataSource;
    this.executor = executor;
    this.responseBytes = responseBytes;
    this.maxEventBytes = maxEventBytes;
    this.rejectedEvents = new RejectedEvents(dataSource, responseBytes);
  }

  /** Recent rows answered from memory when set; see {@link #answerRecentFrom}. */
  private volatile RecentHistory recent;

  private volatile Executor memoryExecutor;
  private final java.util.concurrent.atomic.AtomicLong memoryPages =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong databasePages =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Answers the history pages {@code recent} can tell from memory (see {@link RecentHistory}) on
   * {@code executor}, the others from PostgreSQL as before.
   */
  public void answerRecentFrom(RecentHistory recent, Executor executor) {
    this.memoryExecutor = executor;
    this.recent = recent;
  }

  /** History pages answered from memory so far (metrics). */
  public long memoryPages() {
    return memoryPages.get();
  }

  /** History pages answered from PostgreSQL so far (metrics). */
  public long databasePages() {
    return databasePages.get();
  }

  /** {@code GET /living-map/history}: {@code {items, total, has_more, total_is_estimate, ...}}. */
  public CompletableFuture<JsonObject> query(HistoryQuery q) {
    RecentHistory r = recent;
    if (r != null && r.mightAnswer() && RecentHistory.mayAnswer(q)) {
      return CompletableFuture.supplyAsync(() -> pageFromMemory(r, q), memoryExecutor)
          .thenCompose(
              page -> {
                if (page != null) {
                  memoryPages.incrementAndGet();
                  return CompletableFuture.completedFuture(page);
                }
                return fromDatabase(q);
              });
    }
    return fromDatabase(q);
  }

  /**
   * A page's JSON bytes; {@code gzipped} says they are gzip, to be sent with {@code
   * Content-Encoding: gzip}, not compressed again.
   */
  public record PageBytes(io.vertx.core.buffer.Buffer bytes, boolean gzipped) {}

  /**
   * {@link #query} as the bytes to send: a page from memory is encoded once (and gzipped once, when
   * {@code gzip} asks for it) for every request that asks for it while the rows stay the same; one
   * from PostgreSQL is encoded on the database worker that read it and left to the transport.
   */
  public CompletableFuture<PageBytes> queryBytes(HistoryQuery q, boolean gzip) {
    RecentHistory r = recent;
    if (r != null && r.mightAnswer() && RecentHistory.mayAnswer(q)) {
      return CompletableFuture.supplyAsync(() -> bytesFromMemory(r, q, gzip), memoryExecutor)
          .thenCompose(
              page -> {
                if (page != null) {
                  memoryPages.incrementAndGet();
                  return CompletableFuture.completedFuture(page);
                }
                return fromDatabase(q).thenApply(HistoryStore::plain);
              });
    }
    return fromDatabase(q).thenApply(HistoryStore::plain);
  }

  private static PageBytes plain(JsonObject page) {
    return new PageBytes(page.toBuffer(), false);
  }

  /** Memory's page, or null so that PostgreSQL answers, whatever went wrong here. */
  private JsonObject pageFromMemory(RecentHistory r, HistoryQuery q) {
    try {
      return r.page(q, responseBytes);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private PageBytes bytesFromMemory(RecentHistory r, HistoryQuery q, boolean gzip) {
    try {
      return r.pageBytes(q, responseBytes, gzip);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** {@link #query} from PostgreSQL alone, whatever memory holds. */
  public CompletableFuture<JsonObject> fromDatabase(HistoryQuery q) {
    return async(
        () -> {
          JsonObject page = queryBlocking(q);
          databasePages.incrementAndGet();
          return page;
        });
  }

  JsonObject queryBlocking(HistoryQuery q) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        setTimeout(c, STATEMENT_TIMEOUT);
        Where where = where(c, q);
        boolean cursor = q.beforeSeq() != null || q.afterSeq() != null;
        String order = cursor ? " ORDER BY seq DESC" : " ORDER BY timestamp DESC, seq DESC";
        List<Object> args = new ArrayList<>(where.args);
        args.add(q.limit() + 1);
        args.add(q.offset());
        JsonArray items = new JsonArray();
        PageBudget budget = new PageBudget(responseBytes, PageBudget.ROW_OVERHEAD + maxEventBytes);
        // The page is chosen on the stored columns and its payloads turned into text outside,
        // row by row as the driver fetches them: rows the page skips (offset, a sort of the whole
        // table when it is small) or never fetches (past the byte budget) are not converted.
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + COLUMNS
                    + " FROM (SELECT "
                    + STORED_COLUMNS
                    + " FROM living_map_history"
                    + where.sql
                    + order
                    + " LIMIT ? OFFSET ?) page"
                    + order)) {
          bind(ps, args);
          ps.setFetchSize(PageBudget.FIRST_FETCH);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String payload = rs.getString(4);
              if (items.size() < q.limit()
                  && !budget.take(payload == null ? 0 : payload.length())) {
                break;
              }
              items.add(StoredRows.item(rs, payload));
              budget.adjust(rs);
            }
          }
        }
        boolean hasMore = items.size() > q.limit() || budget.truncated();
        if (items.size() > q.limit()) {
          items.remove(items.size() - 1);
        }
        c.commit();
        long total;
        boolean estimate = false;
        if (q.pageTellsTotal(items.size(), hasMore)) {
          total = (long) q.offset() + items.size();
        } else {
          long[] counted = countBounded(c, where);
          total = counted[0];
          estimate = counted[1] == 1;
          if (estimate) {
            total = Math.max(total, (long) q.offset() + items.size() + (hasMore ? 1 : 0));
          }
        }
        return new JsonObject()
            .put("items", items)
            .put("total", total)
            .put("has_more", hasMore)
            .put("total_is_estimate", estimate)
            .put("limit", q.limit())
            .put("offset", q.offset())
            .put("truncated", budget.truncated())
            .put("max_bytes", budget.limit())
            .put("next", hasMore ? next(q, items) : null);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * The parameters that continue after this page, in the query's own cursor: {@code before_seq}
   * (with the epoch) when it pages by seq, else {@code offset}. The caller repeats its query with
   * them; with {@code has_more} false there is none.
   */
  static JsonObject next(HistoryQuery q, JsonArray items) {
    if (q.beforeSeq() != null || q.afterSeq() != null) {
      if (items.isEmpty()) {
        return null;
      }
      JsonObject last = items.getJsonObject(items.size() - 1);
      return new JsonObject()
          .put("before_seq", last.getLong("seq"))
          .put("epoch", last.getString("epoch"));
    }
    return new JsonObject().put("offset", q.offset() + items.size());
  }

  /** {total, 1 if estimated}. */
  private long[] countBounded(Connection c, Where where) throws SQLException {
    try {
      setTimeout(c, COUNT_TIMEOUT);
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT count(*) FROM (SELECT 1 FROM living_map_history"
                  + where.sql
                  + " LIMIT "
                  + (TOTAL_CAP + 1)
                  + ") t")) {
        bind(ps, where.args);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long n = rs.getLong(1);
          c.commit();
          if (n <= TOTAL_CAP) {
            return new long[] {n, 0};
          }
        }
      }
    } catch (SQLException e) {
      c.rollback();
      if (!"57014".equals(e.getSQLState())) { // not query_canceled by the timeout
        throw e;
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("EXPLAIN (FORMAT JSON) SELECT 1 FROM living_map_history" + where.sql)) {
      bind(ps, where.args);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        JsonArray plan = new JsonArray(rs.getString(1));
        long rows = plan.getJsonObject(0).getJsonObject("Plan").getLong("Plan Rows");
        c.commit();
        return new long[] {Math.max(rows, TOTAL_CAP + 1L), 1};
      }
    }
  }

  private record Where(String sql, List<Object> args) {}

  private Where where(Connection c, HistoryQuery q) throws SQLException {
    List<String> conds = new ArrayList<>();
    List<Object> args = new ArrayList<>();
    if (q.since() != null) {
      conds.add("timestamp >= ?");
      args.add(Timestamp.from(q.since()));
    }
    if (q.until() != null) {
      conds.add("timestamp <= ?");
      args.add(Timestamp.from(q.until()));
    }
    EventTypePattern p = q.eventTypePattern();
    if (p != null) {
      conds.add(p.wildcard() ? "event_type ~ ?" : "event_type = ?");
      args.add(p.wildcard() ? p.regex() : p.text());
    }
    if (q.entityId() != null) {
      conds.add("entity_id = ?");
      args.add(q.entityId());
    }
    if (q.entityType() != null) {
      conds.add("entity_type = ?");
      args.add(q.entityType());
    }
    if (q.hiddenEntityTypes() != null && !q.hiddenEntityTypes().isEmpty()) {
      conds.add("(entity_type IS NULL OR NOT (entity_type = ANY (?)))");
      args.add(q.hiddenEntityTypes().toArray(new String[0]));
    }
    if (q.sourceService() != null) {
      conds.add("source_service = ?");
      args.add(q.sourceService());
    }
    if (q.beforeSeq() != null || q.afterSeq() != null) {
      String epoch = q.epoch();
      if (epoch == null) {
        epoch = lastPosition(c).map(Position::epoch).orElse(null);
      }
      conds.add("epoch = ?");
      args.add(epoch == null ? "" : epoch);
      if (q.beforeSeq() != null) {
        conds.add("seq < ?");
        args.add(q.beforeSeq());
      }
      if (q.afterSeq() != null) {
        conds.add("seq > ?");
        args.add(q.afterSeq());
      }
    }
    return new Where(conds.isEmpty() ? "" : " WHERE " + String.join(" AND ", conds), args);
  }

  /**
   * {@code GET /living-map/history/stats}: event counts per time bucket and event type. Buckets are
   * aligned to multiples of the bucket size since the Unix epoch and cover [since, until); empty
   * buckets are listed with count 0.
   */
  public CompletableFuture<JsonObject> stats(HistoryQuery.Stats s) {
    return async(() -> HistoryStats.count(dataSource, s));
  }

  /** The newest {@code limit} events of one entity, newest first, as history items. */
  public CompletableFuture<JsonArray> recentForEntity(String entityId, int limit) {
    return query(
            new HistoryQuery(
                null,
                null,
                null,
                entityId,
                null,
                null,
                limit,
                0,
                null,
                null,
                null,
                java.util.Set.of()))
        .thenApply(j -> j.getJsonArray("items"));
  }

  /**
   * Rejected events, newest first: {@code {items:[{id, received_at, subject, reason, size_bytes,
   * msg_id, raw, raw_encoding (utf8|base64), raw_truncated}], total}}.
   */
  public CompletableFuture<JsonObject> rejected(int limit, int offset) {
    RejectedEvents.check(limit, offset);
    return async(() -> rejectedEvents.page(limit, offset));
  }

  /** How many rejected events are kept. */
  public CompletableFuture<Long> rejectedCount() {
    return async(rejectedEvents::count);
  }

  /**
   * The newest (epoch, seq) in history: the epoch of the newest sequenced row and the highest seq
   * within it. Empty when history holds no sequenced event. The sequencer continues from here after
   * a restart.
   */
  public CompletableFuture<Optional<Position>> lastPosition() {
    return async(
        () -> {
          try (Connection c = dataSource.getConnection()) {
            return lastPosition(c);
          }
        });
  }

  /** {@link #lastPosition()} on the calling thread. */
  Optional<Position> lastPositionBlocking() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return lastPosition(c);
    }
  }

  static Optional<Position> lastPosition(Connection c) throws SQLException {
    String epoch;
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT epoch FROM living_map_history WHERE seq IS NOT NULL AND epoch IS NOT NULL"
                    + " ORDER BY timestamp DESC, seq DESC LIMIT 1")) {
      if (!rs.next()) {
        return Optional.empty();
      }
      epoch = rs.getString(1);
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT seq, timestamp FROM living_map_history WHERE epoch = ?"
                + " ORDER BY seq DESC LIMIT 1")) {
      ps.setString(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return Optional.of(new Position(epoch, rs.getLong(1), StoredRows.instant(rs, 2)));
      }
    }
  }

  /**
   * Events of {@code epoch} with seq greater than {@code afterSeq}, in seq order, at most {@code
   * limit}: the WebSocket resume path when memory no longer holds them. Their ackers do nothing.
   */
  public CompletableFuture<List<Event>> eventsAfter(String epoch, long afterSeq, int limit) {
    return async(() -> eventsAfterBlocking(epoch, afterSeq, null, limit));
  }

  /** As {@link #eventsAfter}, only events at or before {@code until} when it is not null. */
  List<Event> eventsAfterBlocking(String epoch, long afterSeq, Instant until, int limit)
      throws SQLException {
    List<Event> out = new ArrayList<>();
    withEventsAfterBlocking(
        epoch,
        afterSeq,
        null,
        until,
        limit,
        events -> {
          events.forEach(out::add);
          return null;
        });
    return out;
  }

  /**
   * Hands {@code use} the events of {@code epoch} after {@code afterSeq} (up to {@code upToSeq} and
   * at or before {@code until} where not null, at most {@code limit}) in seq order, read from the
   * database as {@code use} iterates, so that a replay of a million events never holds them all.
   * The iterable is good for one pass, inside {@code use} only.
   */
  <T> T withEventsAfterBlocking(
      String epoch,
      long afterSeq,
      Long upToSeq,
      Instant until,
      int limit,
      Function<Iterable<Event>, T> use)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // lets the driver stream with a fetch size
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + COLUMNS
                  + " FROM living_map_history WHERE epoch = ? AND seq > ?"
                  + (upToSeq != null ? " AND seq <= ?" : "")
                  + (until != null ? " AND timestamp <= ?" : "")
                  + " ORDER BY seq LIMIT ?")) {
        ps.setFetchSize(PageBudget.replayRound(maxEventBytes));
        int i = 1;
        ps.setString(i++, epoch);
        ps.setLong(i++, afterSeq);
        if (upToSeq != null) {
          ps.setLong(i++, upToSeq);
        }
        if (until != null) {
          ps.setTimestamp(i++, Timestamp.from(until));
        }
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          T result = use.apply(() -> new EventRows(rs));
          c.commit();
          return result;
        }
      } catch (EventRows.ReadFailed e) {
        throw e.getCause();
      }
    }
  }

  /** The timestamp of the newest event of {@code epoch} in {@code (afterSeq, upToSeq]}, if any. */
  Optional<Instant> lastTimestampBlocking(String epoch, long afterSeq, long upToSeq)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT timestamp FROM living_map_history WHERE epoch = ? AND seq > ? AND seq <= ?"
                    + " ORDER BY seq DESC LIMIT 1")) {
      ps.setString(1, epoch);
      ps.setLong(2, afterSeq);
      ps.setLong(3, upToSeq);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(StoredRows.instant(rs, 1)) : Optional.empty();
      }
    }
  }

  static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static void setTimeout(Connection c, String timeout) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SET LOCAL statement_timeout = '" + timeout + "'");
    }
  }

  private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      ps.setObject(i + 1, args.get(i));
    }
  }

  /** A blocking step that may throw SQLException. */
  @FunctionalInterface
  interface Blocking<T> {
    T run() throws Exception;
  }

  <T> CompletableFuture<T> async(Blocking<T> work) {
    return async(executor, work);
  }

  static <T> CompletableFuture<T> async(Executor executor, Blocking<T> work) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return work.run();
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        },
        executor);
  }
}
