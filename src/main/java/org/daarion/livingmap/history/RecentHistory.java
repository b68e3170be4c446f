package org.daarion.livingmap.history;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.daarion.livingmap.event.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The newest history rows, as the writer committed them, for {@code GET /living-map/history} pages
 * that PostgreSQL would answer from these rows alone.
 *
 * <p><b>Authority.</b> PostgreSQL stays the truth: a row enters here only after the writer's COPY
 * of it committed, with the id and bytes that COPY stored. A batch written any other way (the
 * insert fall-back after a conflict, row by row after a refused row, a retry) enters nothing and
 * raises the {@linkplain #floorMicros floor} above its timestamps instead, as do rows pushed out by
 * the bounds and every row stored before this process attached (the newest timestamp in history,
 * read once at {@link #start}). Every row in PostgreSQL that is not here is then at or below the
 * floor, so the rows above it, newest first by {@code (timestamp, seq)}, are exactly PostgreSQL's
 * newest rows: a page taken from them is PostgreSQL's page. Rows missed that way are read back from
 * PostgreSQL once such batches stop ({@link #readBackIfDue}), which lowers the floor again.
 *
 * <p><b>What it answers.</b> Queries without a seq cursor or epoch, whose filters are plain
 * comparisons (event type pattern, entity id and type, source service, hidden entity types, since
 * and until to the microsecond), when more than {@link HistoryStore#TOTAL_CAP} matching rows are
 * above the floor: PostgreSQL then also reports an estimated total (its planner's figure, here the
 * count of matching rows in memory; both flagged {@code total_is_estimate}) and the page, its
 * {@code has_more} and {@code next} are PostgreSQL's. While memory holds every row in history (none
 * stored before it attached and not read back, pushed out, or stored around the COPY: a young or
 * small history, as DAARION's today), pages with fewer matches are answered too, with PostgreSQL's
 * exact total. Anything else returns null and is asked of PostgreSQL. Rows within a minute of the
 * retention's cut-off are not used (the retention job may be deleting them).
 *
 * <p><b>Memory.</b> Bounded by {@code LIVING_MAP_HISTORY_MEMORY_BYTES} (payload bytes plus {@link
 * #ROW_OVERHEAD} per row) and {@link #MAX_ROWS}; when full the oldest rows go (EVICT).
 */
public final class RecentHistory {
  private static final Logger log = LoggerFactory.getLogger(RecentHistory.class);

  /** Rows kept at most, as the stream's resume ring. */
  public static final int MAX_ROWS = 50_000;

  /** What a row costs besides its payload: the row object, its id and the index entries. */
  static final int ROW_OVERHEAD = 200;

  private static final long PG_EPOCH_SECONDS = 946_684_800L;
  private static final Duration RETENTION_MARGIN = Duration.ofMinutes(1);

  /** PostgreSQL's page order: newest timestamp first, then highest seq. */
  private static final Comparator<RecentRow> NEWEST_FIRST =
      Comparator.comparingLong(RecentRow::micros)
          .thenComparingLong(RecentRow::seq)
          .thenComparingLong(RecentRow::order)
          .reversed();

  private final long maxBytes;
  private final Duration retention;
  private final Clock clock;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);
  private final TreeSet<RecentRow> rows = new TreeSet<>(NEWEST_FIRST); // under lock
  private final ArrayDeque<RecentRow> byArrival = new ArrayDeque<>(); // under lock
  private long bytes; // under lock
  private long order; // under lock

  /** Every row in history that is not held here has a timestamp at or below it; under lock. */
  private long floorMicros = Long.MIN_VALUE;

  /** Whether the floor covers the rows stored before this process attached; under lock. */
  private boolean started;

  /** Rows held, readable without the lock: fewer than the cap means no page can be answered. */
  private volatile int held;

  /**
   * Whether every row in history is held: started, and nothing left below a floor; readable without
   * the lock. Then memory answers pages with few matches too.
   */
  private volatile boolean whole;

  /** Changes whenever the rows or the floor do; under lock. */
  private long version;

  /**
   * Pages already built for the current {@link #version}: at c=32 many requests ask for the same
   * newest page between two of the writer's batches, and a page is a pure function of the query,
   * the rows and the floor (the retention's cut-off moves too, but a minute's margin is kept from
   * it). Bounded: cleared past {@link #CACHED_PAGES} queries. Pages are shared, never mutated.
   */
  private final java.util.concurrent.ConcurrentHashMap<HistoryQuery, CachedPage> pages =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final int CACHED_PAGES = 16;

  /**
   * @param maxBytes the byte bound ({@code LIVING_MAP_HISTORY_MEMORY_BYTES})
   * @param retention how long history keeps rows ({@code LIVING_MAP_RETENTION})
   */
  public RecentHistory(long maxBytes, Duration retention, Clock clock) {
    this(maxBytes, retention, clock, HistoryStore.DEFAULT_MAX_EVENT_BYTES);
  }

  /**
   * @param maxEventBytes the largest payload a stored row can hold ({@code
   *     LIVING_MAP_MAX_EVENT_BYTES}): rows read back at start come in rounds sized for it
   */
  public RecentHistory(long maxBytes, Duration retention, Clock clock, int maxEventBytes) {
    this.maxBytes = maxBytes;
    this.retention = retention;
    this.clock = clock;
    this.maxEventBytes = maxEventBytes;
  }

  private final int maxEventBytes;

  /**
   * Reads the newest timestamp already in history; pages are answered from memory only after it.
   * Call after the writer feeds this (see {@link HistoryWriter#feed}): a row committed after that
   * is either here or raised the floor, one committed before is seen by this read.
   */
  public void start(DataSource dataSource) {
    start(dataSource, false);
  }

  /**
   * {@link #start}, and with {@code loadNewest} the newest stored rows read back into memory first
   * (as many as the bounds hold), so that pages are answered from memory at once after a restart:
   * at DAARION's size today (20 events/s) memory otherwise needs more than 8 minutes to hold more
   * rows than {@link HistoryStore#TOTAL_CAP}, and until then every page costs PostgreSQL a query
   * (535-571 pages/s at c=32 against tens of thousands from memory, 2026-12-06). The rows read are
   * PostgreSQL's own (their payloads as {@code payload::text}), all of those above the oldest one
   * read, which becomes the floor.
   */
  public void start(DataSource dataSource, boolean loadNewest) {
    try {
      read(dataSource, loadNewest, false);
    } catch (Exception e) {
      log.warn(
          "history pages are read from PostgreSQL only until it is read again: {}", e.toString());
      missed();
    }
  }

  /**
   * Reads history's newest timestamp, and with {@code rows} its newest rows, into memory. With
   * {@code replace}, what memory held goes and the floor is the read's own (only when nothing else
   * stores rows meanwhile, see {@link #readBackIfDue}); else the rows are added behind those fed
   * meanwhile and the floor only rises.
   *
   * @return the rows read
   */
  private int read(DataSource dataSource, boolean rows, boolean replace)
      throws java.sql.SQLException {
    try (Connection c = dataSource.getConnection()) {
      StoredNewest stored = StoredNewest.read(c, rows, maxBytes * 3 / 4, maxEventBytes);
      lock.writeLock().lock();
      try {
        if (replace) {
          this.rows.clear();
          byArrival.clear();
          bytes = 0;
          floorMicros = Long.MIN_VALUE;
        }
        add(stored.rows(), stored.newestMicros());
        floorMicros = Math.max(floorMicros, stored.floorMicros());
        started = true;
        changed();
      } finally {
        lock.writeLock().unlock();
      }
      return stored.rows().size();
    }
  }

  /** Rows were stored that memory does not hold: read history back once that stops. */
  private void missed() {
    missedSince = System.nanoTime();
    missing = true;
  }

  /**
   * Set when rows were stored that memory does not hold (a batch around the COPY, or a start that
   * could not read history): memory then answers only pages with many matches above the floor, and
   * at DAARION's size none, until {@link #readBackIfDue} reads history again.
   */
  private volatile boolean missing;

  private volatile long missedSince;

  private volatile long readBackAfterNanos = READ_BACK_AFTER.toNanos();

  /** How long the last read-back took (the writer waited as long). */
  private volatile long lastReadBackNanos;

  /**
   * How long after the last batch stored around the COPY memory reads history back: a redelivery
   * after a restart sends batch after batch through the insert, and one read at the end does.
   */
  static final Duration READ_BACK_AFTER = Duration.ofSeconds(10);

  /** Tests: a shorter {@link #READ_BACK_AFTER}. */
  void readBackAfter(Duration d) {
    readBackAfterNanos = d.toNanos();
  }

  /**
   * On the writer's thread between batches: once rows memory misses were stored and none for {@link
   * #READ_BACK_AFTER}, replaces what memory holds with the newest rows read back (as at {@link
   * #start}), so that it answers every page again without a restart. The writer is the only one
   * storing rows and waits meanwhile, so what is read is all there is: the floor goes down to the
   * oldest row read. At 100x this reads 50,000 rows once per episode, while the writer's queue
   * holds what arrives.
   */
  void readBackIfDue(DataSource dataSource) {
    // A publisher that repeats one message id every few seconds would have the writer read 50,000
    // rows back each time: waiting ten times the last read-back keeps that under a tenth of its
    // time.
    if (!missing
        || System.nanoTime() - missedSince < Math.max(readBackAfterNanos, 10 * lastReadBackNanos)) {
      return;
    }
    missing = false;
    long t0 = System.nanoTime();
    try {
      int read = read(dataSource, true, true);
      lastReadBackNanos = System.nanoTime() - t0;
      log.info(
          "history memory read back {} rows from PostgreSQL in {} ms",
          read,
          lastReadBackNanos / 1_000_000);
    } catch (Exception e) {
      log.warn("history memory could not read history back, trying again: {}", e.toString());
      missed();
    }
  }

  /**
   * Adds rows read back (newest first) behind those the writer fed meanwhile: older, so first to go
   * when the bounds are hit. A row the writer also fed (committed between the two reads) is added
   * once.
   */
  private void add(List<RecentRow> loaded, long newestMicros) {
    java.util.Set<UUID> fed = new java.util.HashSet<>();
    for (RecentRow r : byArrival) {
      if (r.micros() <= newestMicros) {
        fed.add(r.id());
      }
    }
    for (RecentRow r : loaded) {
      if (!fed.contains(r.id())) {
        rows.add(r);
        byArrival.addFirst(r);
        bytes += weight(r);
      }
    }
  }

  /** Rows the writer's COPY committed, with the ids and payload bytes it stored. */
  void committed(List<Event> events, List<UUID> ids, List<byte[]> payloads) {
    lock.writeLock().lock();
    try {
      for (int i = 0; i < events.size(); i++) {
        Event e = events.get(i);
        if (e.timestamp() == null) {
          continue;
        }
        RecentRow r =
            new RecentRow(
                ids.get(i),
                CopyRows.micros(e.timestamp()),
                e.seq(),
                CopyRows.stored(e.epoch()),
                CopyRows.stored(e.eventType()),
                CopyRows.stored(e.entityId()),
                CopyRows.stored(e.entityType()),
                CopyRows.stored(e.sourceService()),
                payloads.get(i),
                order++);
        rows.add(r);
        byArrival.addLast(r);
        bytes += weight(r);
      }
      while (!byArrival.isEmpty() && (byArrival.size() > MAX_ROWS || bytes > maxBytes)) {
        RecentRow old = byArrival.removeFirst();
        rows.remove(old);
        bytes -= weight(old);
        floorMicros = Math.max(floorMicros, old.micros());
      }
      changed();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Rows stored some other way than the COPY (their ids are not known here). */
  void bypassed(List<Event> events) {
    long newest = Long.MIN_VALUE;
    for (Event e : events) {
      if (e.timestamp() != null) {
        newest = Math.max(newest, CopyRows.micros(e.timestamp()));
      }
    }
    lock.writeLock().lock();
    try {
      floorMicros = Math.max(floorMicros, newest);
      changed();
    } finally {
      lock.writeLock().unlock();
    }
    missed();
  }

  /** The rows or the floor changed: what is read without the lock follows; under the write lock. */
  private void changed() {
    held = byArrival.size();
    whole = started && floorMicros == Long.MIN_VALUE;
    version++;
  }

  private static long weight(RecentRow r) {
    return ROW_OVERHEAD + r.payload().length;
  }

  /** Bytes held (metrics). */
  public long usedBytes() {
    lock.readLock().lock();
    try {
      return bytes;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The byte bound. */
  public long maxBytes() {
    return maxBytes;
  }

  /**
   * Whether memory holds enough rows to answer any page: while it does not (a quiet system, the
   * minutes after a start), pages go to PostgreSQL without a detour.
   */
  boolean mightAnswer() {
    return whole || held > HistoryStore.TOTAL_CAP;
  }

  /** Whether this query's form is one memory can answer (cheap; {@link #page} decides). */
  static boolean mayAnswer(HistoryQuery q) {
    return q.beforeSeq() == null
        && q.afterSeq() == null
        && q.epoch() == null
        && wholeMicros(q.since())
        && wholeMicros(q.until())
        && noNul(q.entityId())
        && noNul(q.entityType())
        && noNul(q.sourceService())
        && noNul(q.eventType());
  }

  private static boolean wholeMicros(Instant t) {
    return t == null || t.getNano() % 1000 == 0;
  }

  private static boolean noNul(String s) {
    return s == null || s.indexOf('\0') < 0;
  }

  /**
   * The page PostgreSQL would answer, or null when it cannot be told from memory.
   *
   * @param responseBytes the page's byte budget ({@code LIVING_MAP_RESPONSE_BYTES})
   */
  JsonObject page(HistoryQuery q, long responseBytes) {
    CachedPage c = cached(q, responseBytes);
    return c == null ? null : c.page;
  }

  /** {@link #page} as the JSON bytes to send, gzipped when {@code gzip}, or null. */
  HistoryStore.PageBytes pageBytes(HistoryQuery q, long responseBytes, boolean gzip) {
    CachedPage c = cached(q, responseBytes);
    if (c == null) {
      return null;
    }
    return gzip
        ? new HistoryStore.PageBytes(c.gzip(), true)
        : new HistoryStore.PageBytes(c.bytes, false);
  }

  /** Serialises building pages: requests that miss the same version wait for one build. */
  private final Object building = new Object();

  /** The page for the current rows, built once however many requests ask; null: PostgreSQL. */
  private CachedPage cached(HistoryQuery q, long responseBytes) {
    if (!mayAnswer(q)) {
      return null;
    }
    CachedPage c = current(q, responseBytes);
    if (c == null) {
      // At c=32 a batch makes every waiting request miss at once; one builds, the rest reuse it.
      synchronized (building) {
        c = build(q, responseBytes);
      }
    }
    return c.page == null ? null : c;
  }

  private CachedPage current(HistoryQuery q, long responseBytes) {
    lock.readLock().lock();
    try {
      CachedPage c = pages.get(q);
      return c != null && c.version == version && c.responseBytes == responseBytes ? c : null;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Builds (or finds) the page; its page is null when memory cannot answer (also kept). */
  private CachedPage build(HistoryQuery q, long responseBytes) {
    EventTypePattern type = q.eventTypePattern();
    Pattern typeRegex =
        type != null && type.wildcard() ? Pattern.compile(type.regex(), Pattern.DOTALL) : null;
    long since = q.since() == null ? Long.MIN_VALUE : CopyRows.micros(q.since());
    long until = q.until() == null ? Long.MAX_VALUE : CopyRows.micros(q.until());
    long kept = keptSince();
    int wanted = q.offset() + q.limit() + 1;
    List<RecentRow> window = new ArrayList<>(q.limit() + 1);
    long matched = 0;
    long seen;
    boolean exact;
    lock.readLock().lock();
    try {
      if (!started) {
        return CachedPage.NONE;
      }
      seen = version;
      CachedPage c = pages.get(q);
      if (c != null && c.version == seen && c.responseBytes == responseBytes) {
        return c;
      }
      long low = Math.max(floorMicros, kept == Long.MIN_VALUE ? kept : kept - 1);
      // Every row in history is held, none where the retention job may be deleting: the count of
      // matches is PostgreSQL's own.
      exact = floorMicros == Long.MIN_VALUE && (rows.isEmpty() || rows.last().micros() > low);
      for (RecentRow r : rows) {
        if (r.micros() <= low) {
          break;
        }
        if (r.micros() < since
            || r.micros() > until
            || (q.entityId() != null && !q.entityId().equals(r.entityId()))
            || (q.entityType() != null && !q.entityType().equals(r.entityType()))
            || (q.sourceService() != null && !q.sourceService().equals(r.sourceService()))
            || (q.hiddenEntityTypes() != null
                && !q.hiddenEntityTypes().isEmpty()
                && r.entityType() != null
                && q.hiddenEntityTypes().contains(r.entityType()))
            || (type != null
                && (typeRegex != null
                    ? !typeRegex.matcher(r.eventType()).matches()
                    : !type.text().equals(r.eventType())))) {
          continue;
        }
        if (matched >= q.offset() && matched < wanted) {
          window.add(r);
        }
        matched++;
      }
    } finally {
      lock.readLock().unlock();
    }
    CachedPage c;
    boolean few = matched <= HistoryStore.TOTAL_CAP;
    if (few ? !exact : matched < wanted) {
      c = new CachedPage(seen, responseBytes, null, null);
    } else {
      try {
        JsonObject page = page(q, window, matched, responseBytes, few);
        c = new CachedPage(seen, responseBytes, page, page.toBuffer());
      } catch (Exception e) {
        // a payload this cannot reproduce: PostgreSQL answers
        c = new CachedPage(seen, responseBytes, null, null);
      }
    }
    if (pages.size() >= CACHED_PAGES) {
      pages.clear();
    }
    pages.put(q, c);
    return c;
  }

  /** Rows older than this may be being deleted by the retention job. */
  private long keptSince() {
    try {
      return CopyRows.micros(clock.instant().minus(retention).plus(RETENTION_MARGIN));
    } catch (ArithmeticException | java.time.DateTimeException e) {
      return Long.MIN_VALUE; // a retention longer than timestamps go back: nothing is deleted
    }
  }

  /**
   * The answer, field for field as {@link HistoryStore#query} builds it: with {@code exact}, from
   * every match (at most {@link HistoryStore#TOTAL_CAP}), which PostgreSQL counts exactly; else
   * with the count of matches held as the estimate it reports past the cap.
   */
  private static JsonObject page(
      HistoryQuery q, List<RecentRow> window, long matched, long budgetBytes, boolean exact)
      throws Exception {
    JsonArray items = new JsonArray();
    PageBudget budget = new PageBudget(budgetBytes, budgetBytes); // rows in memory: no rounds
    // window holds limit + 1 rows; the last only says there are more, as the SQL's extra row does
    for (int i = 0; i < window.size() && i < q.limit(); i++) {
      RecentRow r = window.get(i);
      String payload = JsonbText.of(r.payload());
      if (!budget.take(payload.length())) {
        break;
      }
      items.add(
          new JsonObject()
              .put("id", r.id().toString())
              .put("timestamp", instant(r.micros()).toString())
              .put("event_type", r.eventType())
              .put("payload", StoredRows.payload(payload))
              .put("source_service", r.sourceService())
              .put("entity_id", r.entityId())
              .put("entity_type", r.entityType())
              .put("seq", r.seq())
              .put("epoch", r.epoch()));
    }
    boolean hasMore = !exact || window.size() > q.limit() || budget.truncated();
    long total =
        !exact
            ? Math.max(matched, (long) q.offset() + items.size() + 1)
            : q.pageTellsTotal(items.size(), hasMore) ? (long) q.offset() + items.size() : matched;
    return new JsonObject()
        .put("items", items)
        .put("total", total)
        .put("has_more", hasMore)
        .put("total_is_estimate", !exact)
        .put("limit", q.limit())
        .put("offset", q.offset())
        .put("truncated", budget.truncated())
        .put("max_bytes", budget.limit())
        .put("next", hasMore ? HistoryStore.next(q, items) : null);
  }

  private static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        PG_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L),
        Math.floorMod(micros, 1_000_000L) * 1_000L);
  }
}
