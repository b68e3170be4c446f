package org.daarion.livingmap.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/**
 * Point look-ups of source message ids in history, for the JetStream ingest's choice of id form
 * after an upgrade (see {@link org.daarion.livingmap.source.nats.NatsIngest.LegacyIds}).
 */
public final class StoredMsgIds {
  private final DataSource dataSource;

  public StoredMsgIds(Database database) {
    this.dataSource = database.dataSource();
  }

  /**
   * Whether a row with one of {@code msgIds} was stored at or after {@code since}. Blocks: the
   * unique index on {@code msg_id} answers it with one probe per id.
   */
  public boolean anyStoredSince(List<String> msgIds, Instant since) throws SQLException {
    if (msgIds.isEmpty()) {
      return false;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT 1 FROM living_map_history WHERE msg_id = ANY(?) AND timestamp >= ?"
                    + " LIMIT 1")) {
      ps.setArray(1, c.createArrayOf("text", msgIds.toArray()));
      ps.setTimestamp(2, Timestamp.from(since));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
