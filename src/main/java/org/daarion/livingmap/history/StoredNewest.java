package org.daarion.livingmap.history;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The newest rows of {@code living_map_history} read back for {@link RecentHistory}, newest first,
 * and the floor they leave: every stored row up to {@link #newestMicros} that is not among them is
 * at or below {@link #floorMicros} (the timestamp of the first row not read; none when all were).
 */
record StoredNewest(List<RecentRow> rows, long newestMicros, long floorMicros) {
  /** An empty history. */
  static final StoredNewest NONE = new StoredNewest(List.of(), Long.MIN_VALUE, Long.MIN_VALUE);

  /**
   * The newest timestamp, and with {@code rows} the newest rows up to it, as many as {@code
   * maxBytes} (payload bytes plus {@link RecentHistory#ROW_OVERHEAD} each) and {@link
   * RecentHistory#MAX_ROWS} hold. The rows are PostgreSQL's own (payloads as {@code
   * payload::text}).
   */
  static StoredNewest read(Connection c, boolean rows, long maxBytes, int maxEventBytes)
      throws SQLException {
    OffsetDateTime newest;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT max(timestamp) FROM living_map_history")) {
      rs.next();
      newest = rs.getObject(1, OffsetDateTime.class);
    }
    if (newest == null) {
      return NONE;
    }
    long newestMicros = CopyRows.micros(newest.toInstant());
    if (!rows) {
      return new StoredNewest(List.of(), newestMicros, newestMicros);
    }
    List<RecentRow> out = new ArrayList<>();
    long used = 0;
    long floor = Long.MIN_VALUE;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, timestamp, seq, epoch, event_type, entity_id, entity_type,"
                + " source_service, payload::text FROM living_map_history WHERE timestamp <= ?"
                + " ORDER BY timestamp DESC, seq DESC LIMIT ?")) {
      ps.setObject(1, newest);
      ps.setInt(2, RecentHistory.MAX_ROWS + 1);
      // The driver streams only outside autocommit; inside, it read every row of the LIMIT first
      // (up to 50,001 rows of up to 1 MiB each). Rounds sized as a page's (PageBudget).
      c.setAutoCommit(false);
      PageBudget rounds = new PageBudget(maxBytes, PageBudget.ROW_OVERHEAD + maxEventBytes);
      ps.setFetchSize(PageBudget.FIRST_FETCH);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long micros = CopyRows.micros(rs.getObject(2, OffsetDateTime.class).toInstant());
          long seq = rs.getLong(3);
          boolean hasSeq = !rs.wasNull();
          String epoch = rs.getString(4);
          String payload = rs.getString(9);
          // Stop at the bounds, and at a row this could not order or print as PostgreSQL does (no
          // seq or epoch: rows of the original service; a payload that is not an object): it and
          // every older row stay PostgreSQL's.
          if (out.size() == RecentHistory.MAX_ROWS
              || !hasSeq
              || epoch == null
              || payload == null
              || !payload.startsWith("{")) {
            floor = micros;
            break;
          }
          byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
          if (used + RecentHistory.ROW_OVERHEAD + bytes.length > maxBytes) {
            floor = micros;
            break;
          }
          used += RecentHistory.ROW_OVERHEAD + bytes.length;
          rounds.take(bytes.length);
          rounds.adjust(rs);
          out.add(
              new RecentRow(
                  rs.getObject(1, UUID.class),
                  micros,
                  seq,
                  epoch,
                  rs.getString(5),
                  rs.getString(6),
                  rs.getString(7),
                  rs.getString(8),
                  bytes,
                  // Before every row the writer feeds (whose order counts up from 0).
                  -1L - out.size()));
        }
      }
      c.commit();
    }
    return new StoredNewest(out, newestMicros, floor);
  }
}
