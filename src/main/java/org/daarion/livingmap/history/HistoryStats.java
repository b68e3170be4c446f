package org.daarion.livingmap.history;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * {@code GET /living-map/history/stats} ({@link HistoryStore#stats}): event counts per time bucket
 * and event type, counted by PostgreSQL in one grouped query under the store's statement timeout.
 */
final class HistoryStats {
  private HistoryStats() {}

  /** Counts {@code s}'s window on the calling thread (blocking). */
  static JsonObject count(DataSource dataSource, HistoryQuery.Stats s) throws SQLException {
    long size = s.bucket().getSeconds();
    long first = Math.floorDiv(s.since().getEpochSecond(), size);
    long last = Math.floorDiv(s.until().getEpochSecond(), size);
    Map<Long, Map<String, Long>> counts = new TreeMap<>();
    Map<String, Long> byType = new TreeMap<>();
    long total = 0;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      HistoryStore.setTimeout(c, HistoryStore.STATEMENT_TIMEOUT);
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT floor(extract(epoch FROM timestamp) / ?)::bigint AS b, event_type, count(*)"
                  + " FROM living_map_history WHERE timestamp >= ? AND timestamp < ?"
                  + " GROUP BY 1, 2 ORDER BY 1, 2")) {
        ps.setLong(1, size);
        ps.setTimestamp(2, Timestamp.from(s.since()));
        ps.setTimestamp(3, Timestamp.from(s.until()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long b = rs.getLong(1);
            String type = rs.getString(2);
            long n = rs.getLong(3);
            counts.computeIfAbsent(b, k -> new TreeMap<>()).merge(type, n, Long::sum);
            byType.merge(type, n, Long::sum);
            total += n;
          }
        }
      }
      c.commit();
    }
    JsonArray buckets = new JsonArray();
    for (long b = first; b <= last; b++) {
      Map<String, Long> m = counts.getOrDefault(b, Map.of());
      JsonObject types = new JsonObject();
      long n = 0;
      for (Map.Entry<String, Long> e : m.entrySet()) {
        types.put(e.getKey(), e.getValue());
        n += e.getValue();
      }
      if (b == last && Instant.ofEpochSecond(b * size).equals(s.until())) {
        break; // until is exclusive
      }
      buckets.add(
          new JsonObject()
              .put("start", Instant.ofEpochSecond(b * size).toString())
              .put("count", n)
              .put("by_type", types));
    }
    JsonObject totals = new JsonObject();
    byType.forEach(totals::put);
    return new JsonObject()
        .put("since", s.since().toString())
        .put("until", s.until().toString())
        .put("bucket_seconds", size)
        .put("total", total)
        .put("by_type", totals)
        .put("buckets", buckets);
  }
}
