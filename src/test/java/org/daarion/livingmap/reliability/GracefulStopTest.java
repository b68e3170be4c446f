package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Issue 3, "on shutdown, flush and ack what was written": a service stopped right after a burst
 * writes every event, stores its final snapshot at the newest position in history (not ahead of it,
 * which restore would have to skip), and starts again from that snapshot with every event counted
 * once.
 */
class GracefulStopTest {
  private static final int N = 5_000;

  @Test
  void stopFlushesHistoryThenStoresTheFinalSnapshotAtItsNewestPosition() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    Ledger ledger = new Ledger("graceful", db.jdbcUrl());
    Config config =
        TestApps.config(
            Map.of(
                "DATABASE_URL",
                db.databaseUrl(),
                "LIVING_MAP_SIMULATOR",
                "off",
                // small batches: the writer is still busy when the stop begins
                "LIVING_MAP_HISTORY_BATCH",
                "10"));
    Application app = TestApps.start(config);
    for (int i = 0; i < N; i++) {
      assertThat(
              app.intake().accept(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i), Acker.NONE))
          .isTrue();
    }
    app.close(); // at once: most events are still queued in the owner or the writer

    Ledger.Audit audit = ledger.audit(N);
    assertThat(audit.missing()).isEmpty();
    assertThat(audit.rows()).isEqualTo(N);
    try (Connection c = ledger.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT seq FROM living_map_snapshots ORDER BY generated_at DESC LIMIT 1),"
                    + " (SELECT max(seq) FROM living_map_history)")) {
      rs.next();
      assertThat(rs.getLong(1))
          .as("final snapshot's seq = newest seq in history")
          .isEqualTo(rs.getLong(2));
    }

    try (Application again = TestApps.start(config)) {
      assertThat(ledger.appliedInState(new Http(again.port()))).isEqualTo(N);
    }
  }
}
