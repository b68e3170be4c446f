package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restarts and outages of the embedded PostgreSQL; each test runs its own server. */
class DatabaseResilienceTest {

  static List<Event> events(long from, long to, AtomicInteger acks) {
    List<Event> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(
          new Event(
              s,
              "epoch-r",
              Instant.now(),
              "agent.event.status",
              "agent:a",
              "agent",
              "agents-service",
              new JsonObject().put("seq", s),
              "msg-" + s,
              acks::incrementAndGet));
    }
    return out;
  }

  @Test
  void historySurvivesARestartOfTheEmbeddedDatabase(@TempDir Path dir) throws Exception {
    Config config = Config.of(Map.of("LIVING_MAP_DATA_DIR", dir.toString()));
    AtomicInteger acks = new AtomicInteger();
    int port;
    try (Database db = Database.start(config)) {
      assertThat(db.embedded()).isTrue();
      port = db.embeddedPort().orElseThrow();
      try (HistoryWriter w = new HistoryWriter(db, config)) {
        w.onEvents(events(1, 100, acks));
      }
      assertThat(acks.get()).isEqualTo(100);
    }
    assertThat(Files.readString(dir.resolve("postgres.port")).trim())
        .isEqualTo(Integer.toString(port));
    assertThat(dir.resolve("postgres").resolve("PG_VERSION")).exists();

    try (Database db = Database.start(config)) {
      assertThat(db.embeddedPort()).contains(port);
      HistoryStore store = new HistoryStore(db);
      JsonObject page = store.query(HistoryQuery.all().withLimit(1000)).get();
      assertThat(page.getLong("total")).isEqualTo(100);
      HistoryStore.Position p = store.lastPosition().get().orElseThrow();
      assertThat(p.epoch()).isEqualTo("epoch-r");
      assertThat(p.seq()).isEqualTo(100);
    }
  }

  @Test
  void writerRidesOutAPostgresOutageAndWritesEveryEventExactlyOnce(@TempDir Path dir)
      throws Exception {
    int port = TestDatabase.freePort();
    Path pgDir = dir.resolve("pg");
    EmbeddedPostgres pg = TestDatabase.startPrivate(pgDir, port);
    Config config =
        Config.of(
            Map.of(
                "DATABASE_URL", "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres"));
    AtomicInteger acks = new AtomicInteger();
    try (Database db = Database.start(config);
        HistoryWriter w =
            new HistoryWriter(db.dataSource(), db, 50, Duration.ofMillis(5), 10_000)) {
      w.onEvents(events(1, 100, acks));
      await().atMost(Duration.ofSeconds(20)).until(() -> acks.get() == 100);

      pg.close(); // PostgreSQL goes away
      w.onEvents(events(101, 300, acks));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> w.status().state() == HistoryWriter.State.DEGRADED);
      assertThat(w.status().lastError()).isNotBlank();
      assertThat(acks.get())
          .as("nothing is acknowledged while the database is down")
          .isEqualTo(100);
      assertThat(db.ping().get().up()).isFalse();

      pg = TestDatabase.startPrivate(pgDir, port); // and comes back on the same data and port
      await().atMost(Duration.ofSeconds(60)).until(() -> acks.get() == 300);
      assertThat(w.status().state()).isEqualTo(HistoryWriter.State.OK);
      assertThat(w.status().retries()).isPositive();
      assertThat(db.ping().get().up()).isTrue();

      try (Connection c = db.dataSource().getConnection();
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT count(*), count(DISTINCT msg_id), min(seq), max(seq)"
                      + " FROM living_map_history")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(300);
        assertThat(rs.getLong(2)).isEqualTo(300);
        assertThat(rs.getLong(3)).isEqualTo(1);
        assertThat(rs.getLong(4)).isEqualTo(300);
      }
    } finally {
      pg.close();
    }
  }
}
