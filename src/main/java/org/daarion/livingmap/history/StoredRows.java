package org.daarion.livingmap.history;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.Event;

/**
 * How a stored history row reads back: as an API item (snake_case, ISO-8601 UTC) or as an {@link
 * Event} to replay, from the columns of {@link HistoryStore#COLUMNS} in their order. Any payload
 * the original service could have written decodes (see {@link #payload}).
 */
final class StoredRows {
  private StoredRows() {}

  static JsonObject item(ResultSet rs) throws SQLException {
    return item(rs, rs.getString(4));
  }

  /** A row as an item, its payload column already read as {@code payloadText}. */
  static JsonObject item(ResultSet rs, String payloadText) throws SQLException {
    long seq = rs.getLong(8);
    boolean hasSeq = !rs.wasNull();
    return new JsonObject()
        .put("id", rs.getString(1))
        .put("timestamp", instant(rs, 2).toString())
        .put("event_type", rs.getString(3))
        .put("payload", payload(payloadText))
        .put("source_service", rs.getString(5))
        .put("entity_id", rs.getString(6))
        .put("entity_type", rs.getString(7))
        .put("seq", hasSeq ? seq : null)
        .put("epoch", rs.getString(9));
  }

  static Event event(ResultSet rs) throws SQLException {
    Object p = payload(rs.getString(4));
    JsonObject payload =
        p instanceof JsonObject o ? o : new JsonObject().put("value", p); // legacy shapes
    return new Event(
        rs.getLong(8),
        rs.getString(9),
        instant(rs, 2),
        rs.getString(3),
        rs.getString(6),
        rs.getString(7),
        rs.getString(5),
        payload,
        rs.getString(10),
        Acker.NONE);
  }

  /**
   * Decodes a stored payload (the text of a jsonb value): JSON as is, except a JSON string that
   * itself holds a JSON object or array (how the original service stored every payload), which is
   * decoded one level further.
   */
  static Object payload(String text) {
    if (text == null) {
      return null;
    }
    Object v = Json.decodeValue(text);
    if (v instanceof String s) {
      String t = s.trim();
      if (t.startsWith("{") || t.startsWith("[")) {
        try {
          return Json.decodeValue(t);
        } catch (DecodeException notJson) {
          return s;
        }
      }
    }
    return v;
  }

  static Instant instant(ResultSet rs, int column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
