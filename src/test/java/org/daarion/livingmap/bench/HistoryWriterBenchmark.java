package org.daarion.livingmap.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.history.HistoryWriter;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Not run by default (surefire includes only {@code *Test}). Run with {@code mvn -o test
 * -Dtest=HistoryWriterBenchmark -Dbench.events=200000}. Starts its own embedded PostgreSQL with
 * zonky's default settings (fsync off, synchronous_commit off) in a temporary directory, then
 * times:
 *
 * <ol>
 *   <li>a raw {@code COPY} of N history rows into an empty copy of the table (same indexes);
 *   <li>N events through {@link HistoryWriter} (queue, batches, unnest insert, dedupe, acks), from
 *       the first {@code onEvents} until the last acknowledgement;
 *   <li>the alternative batch strategy: per batch, {@code COPY} into a temporary staging table and
 *       {@code INSERT ... SELECT ... ON CONFLICT DO NOTHING}.
 * </ol>
 */
class HistoryWriterBenchmark {
  private static final int N = Integer.getInteger("bench.events", 200_000);
  private static final int BATCH = Integer.getInteger("bench.batch", 1000);

  @Test
  void writerVersusRawCopy() throws Exception {
    Path dir = Files.createTempDirectory("living-map-bench");
    Config config =
        Config.of(
            Map.of(
                "LIVING_MAP_DATA_DIR", dir.toString(),
                "LIVING_MAP_HISTORY_BATCH", Integer.toString(BATCH),
                "LIVING_MAP_HISTORY_QUEUE", Integer.toString(N + 1)));
    List<Event> events = events(N, "bench-1");
    try (Database db = Database.start(config)) {
      // 1. Raw COPY into an empty copy of the table with the same indexes.
      double copyRate;
      try (Connection c = db.dataSource().getConnection();
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE copy_target (LIKE living_map_history INCLUDING DEFAULTS INCLUDING"
                + " INDEXES)");
        String text = copyText(events);
        long t0 = System.nanoTime();
        long n =
            c.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn(
                    "COPY copy_target (id, seq, epoch, timestamp, event_type, payload,"
                        + " source_service, entity_id, entity_type, msg_id) FROM STDIN",
                    new StringReader(text));
        double s = (System.nanoTime() - t0) / 1e9;
        copyRate = n / s;
        System.out.printf("raw COPY:          %,d rows in %.2f s = %,.0f rows/s%n", n, s, copyRate);
        st.execute("DROP TABLE copy_target");
        st.execute("CHECKPOINT");
      }

      // 2. Through the HistoryWriter.
      CountDownLatch acked = new CountDownLatch(N);
      List<Event> withAck = new ArrayList<>(N);
      for (Event e : events) {
        withAck.add(
            new Event(
                e.seq(),
                e.epoch(),
                e.timestamp(),
                e.eventType(),
                e.entityId(),
                e.entityType(),
                e.sourceService(),
                e.payload(),
                e.msgId(),
                acked::countDown));
      }
      double writerRate;
      try (HistoryWriter writer = new HistoryWriter(db, config)) {
        long t0 = System.nanoTime();
        for (int i = 0; i < N; i += 500) {
          writer.onEvents(withAck.subList(i, Math.min(N, i + 500)));
        }
        assertThat(acked.await(10, TimeUnit.MINUTES)).isTrue();
        double s = (System.nanoTime() - t0) / 1e9;
        writerRate = N / s;
        System.out.printf(
            "HistoryWriter:     %,d events in %.2f s = %,.0f events/s (%d batches, last %d ms)%n",
            N, s, writerRate, writer.batchesWritten(), writer.lastBatchLatencyMs());
      }
      System.out.printf("writer / raw COPY = %.2f%n", writerRate / copyRate);
      try (Connection c = db.dataSource().getConnection();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM living_map_history")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(N);
      }

      // 3. The alternative: COPY into a staging table, then INSERT ... ON CONFLICT, per batch.
      List<Event> second = events(N, "bench-2");
      try (Connection c = db.dataSource().getConnection();
          Statement st = c.createStatement()) {
        st.execute("CHECKPOINT");
        c.setAutoCommit(false);
        st.execute(
            "CREATE TEMP TABLE staging (LIKE living_map_history INCLUDING DEFAULTS)"
                + " ON COMMIT DELETE ROWS");
        c.commit();
        long t0 = System.nanoTime();
        for (int i = 0; i < N; i += BATCH) {
          List<Event> batch = second.subList(i, Math.min(N, i + BATCH));
          c.unwrap(PGConnection.class)
              .getCopyAPI()
              .copyIn(
                  "COPY staging (id, seq, epoch, timestamp, event_type, payload, source_service,"
                      + " entity_id, entity_type, msg_id) FROM STDIN",
                  new StringReader(copyText(batch)));
          st.executeUpdate(
              "INSERT INTO living_map_history SELECT * FROM staging ON CONFLICT DO NOTHING");
          c.commit();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "COPY staging:      %,d events in %.2f s = %,.0f events/s (no queue, no acks)%n",
            N, s, N / s);
      }
    }
  }

  static List<Event> events(int n, String epoch) {
    List<Event> out = new ArrayList<>(n);
    Instant t = Instant.now();
    for (int i = 1; i <= n; i++) {
      String node = "node-" + (i % 60);
      JsonObject payload =
          new JsonObject()
              .put("node_id", node)
              .put("cpu", (i % 100) / 100.0)
              .put("gpu", (i % 37) / 37.0)
              .put("ram", (i % 53) / 53.0)
              .put("net_in", i % 1000)
              .put("net_out", i % 777)
              .put("temperature", 40 + i % 30)
              .put("ts", t.toString());
      out.add(
          new Event(
              i,
              epoch,
              t.plusMillis(i),
              "node.metrics." + node,
              "node:" + node,
              "node",
              "node-registry",
              payload,
              epoch + "-" + i,
              null));
    }
    return out;
  }

  static String copyText(List<Event> events) {
    StringBuilder sb = new StringBuilder(events.size() * 300);
    for (Event e : events) {
      sb.append(UUID.randomUUID())
          .append('\t')
          .append(e.seq())
          .append('\t')
          .append(esc(e.epoch()))
          .append('\t')
          .append(e.timestamp())
          .append('\t')
          .append(esc(e.eventType()))
          .append('\t')
          .append(esc(e.payload().encode()))
          .append('\t')
          .append(esc(e.sourceService()))
          .append('\t')
          .append(esc(e.entityId()))
          .append('\t')
          .append(esc(e.entityType()))
          .append('\t')
          .append(esc(e.msgId()))
          .append('\n');
    }
    return sb.toString();
  }

  private static String esc(String s) {
    if (s == null) {
      return "\\N";
    }
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
  }
}
