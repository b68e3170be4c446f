package org.daarion.livingmap.history;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import javax.sql.DataSource;
import org.daarion.livingmap.event.Rejection;

/**
 * The rejected-events table as the admin API reads it ({@link HistoryStore#rejected}): pages within
 * the response's byte budget, raw bytes as UTF-8 text where they are, else Base64. Blocking: the
 * store calls it on the database's worker pool.
 */
final class RejectedEvents {
  private final DataSource dataSource;
  private final long responseBytes;

  RejectedEvents(DataSource dataSource, long responseBytes) {
    this.dataSource = dataSource;
    this.responseBytes = responseBytes;
  }

  /** Fails at once, on the caller's thread, for a page the API must refuse. */
  static void check(int limit, int offset) {
    if (limit < 1 || limit > HistoryQuery.MAX_LIMIT) {
      throw new BadParameterException("limit", "must be between 1 and " + HistoryQuery.MAX_LIMIT);
    }
    if (offset < 0) {
      throw new BadParameterException("offset", "must be >= 0");
    }
  }

  /** One page, newest first, with {@code total}, {@code truncated} and {@code next}. */
  JsonObject page(int limit, int offset) throws SQLException {
    JsonArray items = new JsonArray();
    long total;
    // raw is kept up to MAX_RAW_BYTES, and counted twice (its text is up to that)
    PageBudget budget =
        new PageBudget(responseBytes, PageBudget.ROW_OVERHEAD + 2L * Rejection.MAX_RAW_BYTES);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // lets the driver stream rows within the page's budget
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, received_at, subject, reason, raw, size_bytes, msg_id"
                  + " FROM living_map_rejected_events ORDER BY id DESC LIMIT ? OFFSET ?")) {
        ps.setInt(1, limit);
        ps.setInt(2, offset);
        ps.setFetchSize(PageBudget.FIRST_FETCH);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byte[] raw = rs.getBytes(5);
            // Base64 and JSON escapes make the text up to 6x the bytes; 2x is typical.
            if (!budget.take(raw == null ? 0 : 2L * raw.length)) {
              break;
            }
            budget.adjust(rs);
            String text = raw == null ? null : utf8OrNull(raw);
            items.add(
                new JsonObject()
                    .put("id", rs.getLong(1))
                    .put("received_at", StoredRows.instant(rs, 2).toString())
                    .put("subject", rs.getString(3))
                    .put("reason", rs.getString(4))
                    .put("size_bytes", rs.getInt(6))
                    .put("msg_id", rs.getString(7))
                    .put(
                        "raw",
                        raw == null
                            ? null
                            : text != null ? text : Base64.getEncoder().encodeToString(raw))
                    .put("raw_encoding", text != null || raw == null ? "utf8" : "base64")
                    .put("raw_truncated", raw != null && rs.getInt(6) > raw.length));
          }
        }
      }
      c.commit();
      total = HistoryStore.count(c, "SELECT count(*) FROM living_map_rejected_events");
      c.commit();
    }
    return new JsonObject()
        .put("items", items)
        .put("total", total)
        .put("truncated", budget.truncated())
        .put("max_bytes", budget.limit())
        .put(
            "next",
            budget.truncated() || offset + items.size() < total
                ? new JsonObject().put("offset", offset + items.size())
                : null);
  }

  long count() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return HistoryStore.count(c, "SELECT count(*) FROM living_map_rejected_events");
    }
  }

  private static String utf8OrNull(byte[] raw) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
