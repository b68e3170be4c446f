package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

class DatabaseMigrationTest {

  static void runLegacyMigration010(TestDatabase.Fresh fresh) throws Exception {
    String sql;
    try (var in =
        DatabaseMigrationTest.class.getResourceAsStream("/legacy/original_010_living_map.sql")) {
      sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (Connection c = fresh.connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  static List<String> strings(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  @Test
  void migratesAnEmptyDatabase() throws Exception {
    TestDatabase.Fresh fresh = TestDatabase.create();
    try (Database db = Database.start(fresh.config());
        Connection c = db.dataSource().getConnection()) {
      assertThat(
              strings(c, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))
          .contains(
              "living_map_history",
              "living_map_snapshots",
              "living_map_rejected_events",
              Database.SCHEMA_HISTORY_TABLE);
      assertThat(
              strings(
                  c,
                  "SELECT column_name FROM information_schema.columns"
                      + " WHERE table_name = 'living_map_history'"))
          .contains("seq", "epoch", "msg_id", "payload", "timestamp");
      assertThat(
              strings(
                  c,
                  "SELECT version FROM "
                      + Database.SCHEMA_HISTORY_TABLE
                      + " WHERE success ORDER BY installed_rank"))
          .containsExactly("100", "101");
      assertThat(strings(c, "SELECT cleanup_living_map_history()::text")).containsExactly("0");
      assertThat(db.health().up()).isTrue();
      assertThat(db.ping().get().up()).isTrue();
    }
    // A second start over the migrated database changes nothing and works.
    try (Database db = Database.start(fresh.config());
        Connection c = db.dataSource().getConnection()) {
      assertThat(strings(c, "SELECT count(*)::text FROM " + Database.SCHEMA_HISTORY_TABLE))
          .containsExactly("2");
    }
  }

  @Test
  void takesOverADatabaseWithTheOriginalMigration010KeepingItsRows() throws Exception {
    TestDatabase.Fresh fresh = TestDatabase.create();
    runLegacyMigration010(fresh);
    try (Database db = Database.start(fresh.config());
        Connection c = db.dataSource().getConnection()) {
      assertThat(strings(c, "SELECT id::text FROM living_map_history ORDER BY id"))
          .containsExactly(
              "00000000-0000-4000-8000-000000000010",
              "00000000-0000-4000-8000-000000000011",
              "00000000-0000-4000-8000-000000000012");
      assertThat(strings(c, "SELECT payload::text FROM living_map_history ORDER BY id"))
          .element(1)
          .isEqualTo("\"{\\\"node_id\\\": \\\"node-1\\\", \\\"cpu\\\": 0.5}\"");
      assertThat(strings(c, "SELECT count(*)::text FROM living_map_snapshots"))
          .containsExactly("1");
      assertThat(
              strings(
                  c,
                  "SELECT version FROM "
                      + Database.SCHEMA_HISTORY_TABLE
                      + " WHERE success ORDER BY installed_rank"))
          .containsExactly(Database.BASELINE_VERSION, "100", "101");
      List<String> indexes =
          strings(c, "SELECT indexname FROM pg_indexes WHERE tablename = 'living_map_history'");
      assertThat(indexes)
          .contains("living_map_history_time_seq", "living_map_history_msg_id")
          .doesNotContain(
              "idx_living_map_history_event_type", "idx_living_map_history_source_service");
      // New columns are there and empty on the old rows.
      assertThat(strings(c, "SELECT count(*)::text FROM living_map_history WHERE seq IS NULL"))
          .containsExactly("3");

      // /history reads every row the original wrote, including its string-encoded payloads.
      JsonObject page = new HistoryStore(db).query(HistoryQuery.all()).get();
      assertThat(page.getLong("total")).isEqualTo(3);
      JsonArray items = page.getJsonArray("items");
      assertThat(items.getJsonObject(0).getString("event_type")).isEqualTo("city.event.note");
      assertThat(items.getJsonObject(0).getValue("payload")).isEqualTo("just text");
      assertThat(items.getJsonObject(1).getJsonObject("payload"))
          .isEqualTo(new JsonObject().put("node_id", "node-1").put("cpu", 0.5));
      assertThat(items.getJsonObject(1).getString("timestamp")).isEqualTo("2025-01-01T00:01:00Z");
      assertThat(items.getJsonObject(1).getValue("seq")).isNull();
      assertThat(items.getJsonObject(2).getJsonObject("payload").getString("message"))
          .isEqualTo("Living Map service initialized");
      assertThat(items.getJsonObject(2).getString("id"))
          .isEqualTo("00000000-0000-4000-8000-000000000010");
      // The original's cleanup function still works over the taken-over tables (rows are old).
      assertThat(strings(c, "SELECT cleanup_living_map_history()::text")).containsExactly("3");
    }
  }
}
