package org.daarion.livingmap.history;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.Rejection;
import org.daarion.livingmap.event.Utf8Buffer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a batch of the {@link HistoryWriter} becomes rows: the SQL, the binary COPY with its fallback
 * insert, and the row-by-row path that keeps a row PostgreSQL refuses as a rejected event. The
 * writer decides when to write, retries and acknowledges; this class only writes. Used by the
 * writer's thread only (the COPY encoder is reused from batch to batch).
 */
final class HistoryRows {
  private static final Logger log = LoggerFactory.getLogger(HistoryWriter.class);

  static final String INSERT_UNNEST =
      "INSERT INTO living_map_history"
          + " (id, seq, epoch, timestamp, event_type, payload, source_service, entity_id,"
          + " entity_type, msg_id)"
          + " SELECT u.id::uuid, u.seq, u.epoch, u.ts::timestamptz, u.event_type, u.payload::jsonb,"
          + " u.source_service, u.entity_id, u.entity_type, u.msg_id"
          + " FROM unnest(?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[],"
          + " ?::text[], ?::text[], ?::text[], ?::text[])"
          + " AS u(id, seq, epoch, ts, event_type, payload, source_service, entity_id,"
          + " entity_type, msg_id)"
          + " ON CONFLICT DO NOTHING";

  static final String INSERT_ONE =
      "INSERT INTO living_map_history"
          + " (id, seq, epoch, timestamp, event_type, payload, source_service, entity_id,"
          + " entity_type, msg_id)"
          + " VALUES (?::uuid, ?, ?, ?::timestamptz, ?, ?::jsonb, ?, ?, ?, ?)"
          + " ON CONFLICT DO NOTHING";

  static final String INSERT_REJECTED =
      "INSERT INTO living_map_rejected_events"
          + " (received_at, subject, reason, raw, size_bytes, msg_id)"
          + " VALUES (?::timestamptz, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

  private final DataSource dataSource;
  private final CopyRows copyRows = new CopyRows();
  private final AtomicLong unstorable = new AtomicLong();
  private final AtomicLong copyConflicts = new AtomicLong();

  /** Whether the last batch's events went in by the COPY. */
  private boolean lastCopied;

  HistoryRows(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The COPY encoder of the last batch: its row ids and payloads (see {@link RecentHistory}). */
  CopyRows copyRows() {
    return copyRows;
  }

  /** Whether the last batch's events went in by the COPY (else by the insert, or row by row). */
  boolean lastCopied() {
    return lastCopied;
  }

  /** Rows PostgreSQL refused for their content, kept as rejected events instead. */
  long unstorable() {
    return unstorable.get();
  }

  /** Batches whose COPY met a row already stored and were written again with the insert. */
  long copyConflicts() {
    return copyConflicts.get();
  }

  /**
   * Writes one batch in one transaction: the events by COPY (or the insert, see {@link
   * #copyOrInsertEvents}) and the rejections beside them.
   *
   * @return rows inserted
   */
  int write(List<Event> events, List<Rejection> rejections) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        int inserted = events.isEmpty() ? 0 : copyOrInsertEvents(c, events);
        if (!rejections.isEmpty()) {
          insertRejections(c, rejections);
        }
        c.commit();
        return inserted;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    }
  }

  /**
   * The fast path: a binary {@code COPY} of the batch straight into the table (about twice the rate
   * of the {@code unnest} insert in PostgreSQL; see {@link CopyRows}). A batch that holds a row
   * already stored (a redelivery the state owner did not recognise, a retried batch whose commit
   * was in fact done) fails the COPY with a unique violation; it is rolled back to a savepoint and
   * written again with {@link #INSERT_UNNEST}, which skips the conflicting rows. Batches with known
   * redeliveries (seq 0) go to the insert directly.
   *
   * @return rows inserted
   */
  private int copyOrInsertEvents(Connection c, List<Event> events) throws SQLException {
    lastCopied = false;
    for (Event e : events) {
      if (e.seq() <= 0) {
        return insertEvents(c, events);
      }
    }
    Savepoint sp = c.setSavepoint();
    CopyIn copy = null;
    try {
      copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY_EVENTS);
      send(copy, copyRows.header());
      // In chunks of at most COPY_CHUNK rows and about CopyRows.CHUNK_BYTES: PostgreSQL stores
      // the first rows while the next are encoded, and the buffer stays small.
      for (int from = 0; from < events.size(); ) {
        from = copyRows.rows(events, from, COPY_CHUNK);
        send(copy, copyRows.chunk());
      }
      send(copy, copyRows.trailer());
      long n = copy.endCopy();
      c.releaseSavepoint(sp);
      lastCopied = n == events.size();
      return (int) n;
    } catch (SQLException e) {
      cancelQuietly(copy);
      if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
        throw e;
      }
      c.rollback(sp);
      copyConflicts.incrementAndGet();
      return insertEvents(c, events);
    }
  }

  /** Rows per chunk handed to the COPY. */
  private static final int COPY_CHUNK = 128;

  private static void send(CopyIn copy, Utf8Buffer bytes) throws SQLException {
    copy.writeToCopy(bytes.array(), 0, bytes.length());
  }

  private static void cancelQuietly(CopyIn copy) {
    if (copy != null && copy.isActive()) {
      try {
        copy.cancelCopy();
      } catch (SQLException ignored) {
        // the error that got us here is the one reported
      }
    }
  }

  static final String COPY_EVENTS =
      "COPY living_map_history (id, seq, epoch, timestamp, event_type, payload, source_service,"
          + " entity_id, entity_type, msg_id) FROM STDIN (FORMAT binary)";

  private static final String UNIQUE_VIOLATION = "23505";

  static int insertEvents(Connection c, List<Event> events) throws SQLException {
    int n = events.size();
    String[] id = new String[n];
    long[] seq = new long[n];
    String[] epoch = new String[n];
    String[] ts = new String[n];
    String[] type = new String[n];
    String[] payload = new String[n];
    String[] source = new String[n];
    String[] entityId = new String[n];
    String[] entityType = new String[n];
    String[] msgId = new String[n];
    for (int i = 0; i < n; i++) {
      Event e = events.get(i);
      id[i] = Uuid7.next(e.timestamp()).toString();
      seq[i] = e.seq();
      epoch[i] = text(e.epoch());
      ts[i] = e.timestamp().toString();
      type[i] = text(e.eventType());
      payload[i] = payloadText(e);
      source[i] = text(e.sourceService());
      entityId[i] = text(e.entityId());
      entityType[i] = text(e.entityType());
      msgId[i] = text(e.msgId());
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_UNNEST)) {
      ps.setObject(1, id);
      ps.setObject(2, seq);
      ps.setObject(3, epoch);
      ps.setObject(4, ts);
      ps.setObject(5, type);
      ps.setObject(6, payload);
      ps.setObject(7, source);
      ps.setObject(8, entityId);
      ps.setObject(9, entityType);
      ps.setObject(10, msgId);
      return ps.executeUpdate();
    }
  }

  private static String payloadText(Event e) {
    return new String(payloadUtf8(e), StandardCharsets.UTF_8);
  }

  private static byte[] payloadUtf8(Event e) {
    byte[] p = e.payloadBytes();
    return p == null ? EMPTY_OBJECT : p;
  }

  private static final byte[] EMPTY_OBJECT = {'{', '}'};

  private static void insertRejections(Connection c, List<Rejection> rejections)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT_REJECTED)) {
      for (Rejection r : rejections) {
        byte[] raw = r.raw() == null ? new byte[0] : r.raw();
        if (raw.length > Rejection.MAX_RAW_BYTES) {
          raw = Arrays.copyOf(raw, Rejection.MAX_RAW_BYTES);
        }
        ps.setString(1, (r.receivedAt() == null ? Instant.now() : r.receivedAt()).toString());
        ps.setString(2, text(r.subject()));
        ps.setString(3, r.reason() == null ? "unknown" : text(r.reason()));
        ps.setBytes(4, raw);
        ps.setInt(5, Math.max(r.size(), raw.length));
        ps.setString(6, text(r.msgId()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The slow path after a data error: one transaction per row, refused rows kept as rejected. */
  void writeRowByRow(List<Event> events, List<Rejection> rejections) throws SQLException {
    List<Rejection> all = new ArrayList<>(rejections);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      for (Event e : events) {
        try {
          insertEvents(c, List.of(e));
        } catch (SQLException ex) {
          if (!isDataError(ex)) {
            throw ex;
          }
          unstorable.incrementAndGet();
          log.warn(
              "event {} seq {} cannot be stored in history ({}); keeping it as rejected",
              e.eventType(),
              e.seq(),
              ex.getMessage());
          byte[] raw = payloadUtf8(e);
          all.add(
              new Rejection(
                  e.timestamp(),
                  e.eventType(),
                  "not storable in history: " + ex.getMessage(),
                  raw.length > Rejection.MAX_RAW_BYTES
                      ? Arrays.copyOf(raw, Rejection.MAX_RAW_BYTES)
                      : raw,
                  raw.length,
                  e.msgId(),
                  Acker.NONE));
        }
      }
      if (!all.isEmpty()) {
        c.setAutoCommit(false);
        try {
          insertRejections(c, all);
          c.commit();
        } catch (SQLException | RuntimeException ex) {
          rollbackQuietly(c);
          throw ex;
        }
      }
    }
  }

  /** PostgreSQL refuses the data itself, so retrying the same rows cannot succeed. */
  static boolean isDataError(SQLException e) {
    String s = e.getSQLState();
    if (s == null || s.length() < 2) {
      return false;
    }
    String cls = s.substring(0, 2);
    return cls.equals("22") || cls.equals("23") || cls.equals("54");
  }

  /** PostgreSQL text cannot hold NUL; everything else passes unchanged. */
  private static String text(String s) {
    return s == null || s.indexOf('\0') < 0 ? s : s.replace('\0', '\uFFFD');
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is broken; the pool will discard it
    }
  }
}
