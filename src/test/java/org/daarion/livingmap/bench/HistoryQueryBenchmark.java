package org.daarion.livingmap.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.history.Database;

/**
 * Issue 3 history query benchmark (not a test; run {@code bench/history-query.sh}). Fills the
 * history of an embedded PostgreSQL with 5 million rows ({@code INSERT ... SELECT generate_series}:
 * 30 days of node metrics, LLM and agent usage, agent status, messages and DAO votes over 60 nodes,
 * 200 agents, 24 channels and 5 DAOs), starts the service on it, and reports the latency of {@code
 * GET /living-map/history} through the real HTTP API: p50, p99 and max over 200 sequential requests
 * per query, after 20 warm-up requests.
 *
 * <p>System properties: {@code bench.rows} (5000000), {@code bench.requests} (200).
 */
public final class HistoryQueryBenchmark {
  private HistoryQueryBenchmark() {}

  /** The Living Map indexes (V101); dropped for the bulk load and built again after it. */
  private static final String[] INDEXES = {
    "CREATE INDEX living_map_history_time_seq ON living_map_history (timestamp, seq)",
    "CREATE INDEX living_map_history_entity_time ON living_map_history (entity_id, timestamp, seq)"
        + " WHERE entity_id IS NOT NULL",
    "CREATE UNIQUE INDEX living_map_history_epoch_seq ON living_map_history (epoch, seq)",
    "CREATE UNIQUE INDEX living_map_history_msg_id ON living_map_history (msg_id)"
        + " WHERE msg_id IS NOT NULL"
  };

  private static final String FILL =
      "INSERT INTO living_map_history (id, seq, epoch, timestamp, event_type, payload,"
          + " source_service, entity_id, entity_type, msg_id)"
          + " SELECT gen_random_uuid(), g, 'bench',"
          + "  now() - interval '29 days' + (g * (29 * 86400.0 / ?)) * interval '1 second',"
          + "  CASE WHEN g % 20 < 8 THEN 'node.metrics.node-' || ((g / 20) % 60)"
          + "       WHEN g % 20 < 12 THEN 'usage.llm'"
          + "       WHEN g % 20 < 15 THEN 'agent.event.status'"
          + "       WHEN g % 20 < 18 THEN 'usage.agent'"
          + "       WHEN g % 20 < 19 THEN 'messaging.message.created'"
          + "       ELSE 'dao.event.vote_cast' END,"
          + "  CASE WHEN g % 20 < 8 THEN jsonb_build_object('node_id', 'node-' || ((g / 20) % 60),"
          + "         'cpu', (g % 97) / 100.0, 'gpu', (g % 89) / 100.0, 'ram', (g % 83) / 100.0,"
          + "         'temperature', 40 + g % 30)"
          + "       WHEN g % 20 < 12 THEN jsonb_build_object('agent_id', 'agent-' || ((g / 20) % 200),"
          + "         'model', 'qwen3-8b', 'total_tokens', 250 + g % 800, 'latency_ms', 300 + g % 1500)"
          + "       WHEN g % 20 < 15 THEN jsonb_build_object('agent_id', 'agent-' || ((g / 20) % 200),"
          + "         'status', CASE WHEN g % 3 = 0 THEN 'busy' ELSE 'online' END)"
          + "       WHEN g % 20 < 18 THEN jsonb_build_object('agent_id', 'agent-' || ((g / 20) % 200),"
          + "         'llm_calls', 1 + g % 4, 'duration_ms', 800 + g % 4000)"
          + "       WHEN g % 20 < 19 THEN jsonb_build_object('channel_id', 'ch-' || ((g / 20) % 24),"
          + "         'sender_id', 'agent-' || ((g / 20) % 200), 'sender_type', 'agent')"
          + "       ELSE jsonb_build_object('dao_id', 'dao-' || ((g / 20) % 5), 'proposal_id', 'p-' || ((g / 20) % 50))"
          + "  END,"
          + "  CASE WHEN g % 20 < 8 THEN 'node-registry' WHEN g % 20 < 12 THEN 'usage-engine'"
          + "       WHEN g % 20 < 15 THEN 'agents-service' WHEN g % 20 < 18 THEN 'usage-engine'"
          + "       WHEN g % 20 < 19 THEN 'messaging-service' ELSE 'dao-service' END,"
          + "  CASE WHEN g % 20 < 8 THEN 'node:node-' || ((g / 20) % 60)"
          + "       WHEN g % 20 < 18 THEN 'agent:agent-' || ((g / 20) % 200)"
          + "       WHEN g % 20 < 19 THEN 'channel:ch-' || ((g / 20) % 24)"
          + "       ELSE 'dao:dao-' || ((g / 20) % 5) END,"
          + "  CASE WHEN g % 20 < 8 THEN 'node' WHEN g % 20 < 18 THEN 'agent'"
          + "       WHEN g % 20 < 19 THEN 'channel' ELSE 'dao' END,"
          + "  'js:LIVING_MAP:' || g"
          + " FROM generate_series(?, ?) g";

  public static void main(String[] args) throws Exception {
    int rows = Integer.getInteger("bench.rows", 5_000_000);
    int requests = Integer.getInteger("bench.requests", 200);
    Path dir = Files.createTempDirectory("living-map-history-bench");
    Map<String, String> env = new HashMap<>();
    env.put("PORT", "0");
    env.put("LIVING_MAP_HOST", "127.0.0.1");
    env.put("LIVING_MAP_DATA_DIR", dir.toString());
    env.put("LIVING_MAP_SIMULATOR", "off");
    env.put("LIVING_MAP_RETENTION", "3650d");
    Config config = Config.of(env);
    System.out.printf(
        "history query benchmark: %,d rows, %d requests per query, %d cores, JVM %s%n",
        rows,
        requests,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"));

    try (Database db = Database.start(config);
        Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      long t0 = System.nanoTime();
      for (String ix :
          new String[] {
            "living_map_history_time_seq",
            "living_map_history_entity_time",
            "living_map_history_epoch_seq",
            "living_map_history_msg_id"
          }) {
        st.execute("DROP INDEX IF EXISTS " + ix);
      }
      int chunk = 1_000_000;
      for (int from = 1; from <= rows; from += chunk) {
        try (var ps = c.prepareStatement(FILL)) {
          ps.setInt(1, rows);
          ps.setInt(2, from);
          ps.setInt(3, Math.min(rows, from + chunk - 1));
          ps.executeUpdate();
        }
      }
      double fillS = (System.nanoTime() - t0) / 1e9;
      long i0 = System.nanoTime();
      for (String ix : INDEXES) {
        st.execute(ix);
      }
      st.execute("VACUUM ANALYZE living_map_history");
      System.out.printf(
          "generated %,d rows in %.0f s, indexes and VACUUM ANALYZE in %.0f s%n",
          rows, fillS, (System.nanoTime() - i0) / 1e9);
      try (ResultSet rs =
          st.executeQuery(
              "SELECT pg_size_pretty(pg_total_relation_size('living_map_history')),"
                  + " (SELECT count(*) FROM living_map_history WHERE entity_id = 'agent:agent-42')")) {
        rs.next();
        System.out.printf(
            "table with indexes: %s; rows of agent:agent-42: %,d%n",
            rs.getString(1), rs.getLong(2));
      }
    }

    Application app = Application.start(config).toCompletionStage().toCompletableFuture().join();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String base = "http://127.0.0.1:" + app.port();
      String[] queries = {
        "/living-map/history?limit=200",
        "/living-map/history?entity_id=agent:agent-42",
        "/living-map/history?event_type=node.metrics.*&limit=200",
        "/living-map/history?event_type=dao.%3E&limit=200",
      };
      System.out.println(
          "query                                                   p50 ms   p99 ms   max ms  items  bytes");
      for (String q : queries) {
        long[] ns = new long[requests];
        int items = 0;
        int bytes = 0;
        for (int i = -20; i < requests; i++) {
          long s = System.nanoTime();
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(URI.create(base + q)).GET().build(),
                  HttpResponse.BodyHandlers.ofString());
          long d = System.nanoTime() - s;
          if (r.statusCode() != 200) {
            throw new IllegalStateException(q + " -> " + r.statusCode() + " " + r.body());
          }
          if (i >= 0) {
            ns[i] = d;
            bytes = r.body().length();
            items = new io.vertx.core.json.JsonObject(r.body()).getJsonArray("items").size();
          }
        }
        Arrays.sort(ns);
        System.out.printf(
            "%-55s %7.1f  %7.1f  %7.1f  %5d  %,d%n",
            q,
            ns[(int) Math.ceil(0.50 * requests) - 1] / 1e6,
            ns[(int) Math.ceil(0.99 * requests) - 1] / 1e6,
            ns[requests - 1] / 1e6,
            items,
            bytes);
      }
    } finally {
      app.close();
      deleteQuietly(dir);
    }
    System.exit(0);
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (java.io.IOException e) {
                  // best effort
                }
              });
    } catch (java.io.IOException e) {
      // best effort
    }
  }
}
