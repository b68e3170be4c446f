package org.daarion.livingmap.bench;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.vertx.core.json.JsonObject;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.postgresql.PGConnection;

/**
 * Issue 3 ingest benchmark (not a test; run {@code bench/ingest.sh}). A real nats-server with
 * JetStream; the service in this JVM in jetstream mode with its embedded PostgreSQL (the default
 * deployment's database), simulator and upstream polls off.
 *
 * <ol>
 *   <li>Pre-publishes N events (a mix of node metrics, LLM usage, agent status and agent usage,
 *       150–250 bytes each, unique {@code Nats-Msg-Id}s) into the stream the service will read.
 *   <li>Starts the service and measures from its start of consumption (the durable consumer's first
 *       delivery) until all N are committed in history ({@code max(seq)}, checked with {@code
 *       count(*)} at the end) and applied to the state.
 *   <li>Times a {@code COPY} of the same N rows into an empty {@code LIKE living_map_history
 *       INCLUDING ALL} table in the same PostgreSQL.
 * </ol>
 *
 * <p>System properties: {@code bench.events} (200000); {@code bench.warmup} (0): events consumed
 * before the measured ones, in the same run without a pause, so that the figure is the warm steady
 * state (JIT compiled) rather than a service that has just started.
 */
public final class IngestBenchmark {
  private static final String STREAM = "LIVING_MAP";
  private static final String DURABLE = "living-map";

  private IngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger("bench.events", 200_000);
    int w = Integer.getInteger("bench.warmup", 0);
    int total = w + n;
    Path dir = Files.createTempDirectory("living-map-ingest-bench");
    System.out.printf(
        "ingest benchmark: %,d events after %,d warm-up events, %d cores, JVM %s, max heap %d"
            + " MiB%n",
        n,
        w,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20);
    try (NatsServerProcess nats = NatsServerProcess.start();
        io.nats.client.Connection nc = Nats.connect(nats.url())) {
      Map<String, String> env = new HashMap<>();
      env.put("PORT", "0");
      env.put("LIVING_MAP_HOST", "127.0.0.1");
      env.put("LIVING_MAP_DATA_DIR", dir.toString());
      env.put("NATS_URL", nats.url());
      env.put("LIVING_MAP_NATS_MODE", "jetstream");
      env.put("LIVING_MAP_SIMULATOR", "off");
      env.putAll(overrides());
      Config config = Config.of(env);

      // 1. The stream, filled before the service starts.
      JetStreamManagement jsm = nc.jetStreamManagement();
      jsm.addStream(
          StreamConfiguration.builder()
              .name(STREAM)
              .subjects(config.natsSubjects)
              .storageType(StorageType.File)
              .retentionPolicy(RetentionPolicy.Limits)
              .discardPolicy(DiscardPolicy.Old)
              .duplicateWindow(Duration.ofMinutes(2))
              .build());
      long p0 = System.nanoTime();
      try (NatsPublisher publisher =
          NatsPublisher.connect(
              nats.url(),
              NatsPublisher.Settings.JETSTREAM.withMaxInFlight(5_000),
              NatsTuning.DEFAULTS)) {
        for (int i = 0; i < total; i++) {
          Ev e = event(i);
          publisher.publish(e.subject, e.payload, "bench-" + i);
        }
        publisher.flush(Duration.ofMinutes(5));
        if (publisher.failed() > 0) {
          throw new IllegalStateException(publisher.failed() + " publishes failed");
        }
      }
      double publishS = (System.nanoTime() - p0) / 1e9;
      long inStream = jsm.getStreamInfo(STREAM).getStreamState().getMsgCount();
      System.out.printf(
          "pre-published %,d events into JetStream in %.1f s (%,.0f/s); stream holds %,d%n",
          total, publishS, total / publishS, inStream);

      // 2. The service consumes them.
      AtomicLong firstDelivery = new AtomicLong();
      java.util.concurrent.atomic.AtomicReference<Cpu> cpuAtFirst =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread watcher =
          new Thread(
              () -> {
                while (firstDelivery.get() == 0 && !Thread.currentThread().isInterrupted()) {
                  try {
                    ConsumerInfo ci = jsm.getConsumerInfo(STREAM, DURABLE);
                    if (ci.getDelivered().getStreamSequence() > w) {
                      firstDelivery.set(System.nanoTime());
                      cpuAtFirst.set(cpu(nats.port(), dir));
                      return;
                    }
                  } catch (JetStreamApiException | java.io.IOException e) {
                    // not created yet
                  }
                  try {
                    Thread.sleep(2); // a poll interval for the measurement, 2 ms resolution
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "first-delivery-watch");
      watcher.start();
      long s0 = System.nanoTime();
      Application app = Application.start(config).toCompletionStage().toCompletableFuture().join();
      try {
        System.out.printf("service started in %.1f s%n", (System.nanoTime() - s0) / 1e9);
        int port = Integer.parseInt(Files.readString(dir.resolve("postgres.port")).trim());
        String jdbc =
            "jdbc:postgresql://localhost:"
                + port
                + "/"
                + Database.EMBEDDED_DATABASE
                + "?user=postgres";
        long done;
        long committed;
        long stateDone = 0;
        long c0 = -1; // committed when the measured events start being consumed
        double writerBusy0 = 0;
        long wal0 = 0;
        long alertNanos0 = 0;
        long alertEvents0 = 0;
        Cpu cpuUsed = null;
        try (Connection c = DriverManager.getConnection(jdbc);
            Statement st = c.createStatement()) {
          long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
          while (true) {
            // Through the (epoch, seq) index: a bare max(seq) has no index to use and would scan
            // the whole table every poll, charging the measurement's own cost to PostgreSQL.
            try (ResultSet rs =
                st.executeQuery(
                    "SELECT coalesce((SELECT seq FROM living_map_history h WHERE h.epoch ="
                        + " (SELECT epoch FROM living_map_history LIMIT 1)"
                        + " ORDER BY epoch DESC, seq DESC LIMIT 1), 0)")) {
              rs.next();
              committed = rs.getLong(1);
            }
            if (c0 < 0 && firstDelivery.get() != 0) {
              c0 = w == 0 ? 0 : committed;
              writerBusy0 = w == 0 ? 0 : writerBusySeconds(app);
              wal0 = walBytes(st);
              alertNanos0 = w == 0 ? 0 : app.alerts().evaluationNanos();
              alertEvents0 = w == 0 ? 0 : app.alerts().eventsEvaluated();
            }
            if (stateDone == 0 && app.owner().appliedCount() >= total) {
              stateDone = System.nanoTime();
            }
            if (committed >= total && app.owner().appliedCount() >= total) {
              done = System.nanoTime();
              cpuUsed = cpu(nats.port(), dir).minus(cpuAtFirst.get());
              break;
            }
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException(
                  "not done in 10 minutes: " + committed + " committed");
            }
            Thread.sleep(20); // poll interval of the measurement (20 ms resolution)
          }
          watcher.join(1000);
          long t0 = firstDelivery.get();
          double seconds = (done - t0) / 1e9;
          long rows;
          try (ResultSet rs = st.executeQuery("SELECT count(*) FROM living_map_history")) {
            rs.next();
            rows = rs.getLong(1);
          }
          double ingestRate = (total - c0) / seconds;
          System.out.printf(
              "ingest: %,d events committed in history and applied to the state in %.2f s ="
                  + " %,.0f events/s (history rows %,d, state applied %,d)%n",
              total - c0, seconds, ingestRate, rows, app.owner().appliedCount());
          System.out.printf(
              "  all applied to the state after %.2f s; all committed in history after %.2f s%n",
              (stateDone - t0) / 1e9, seconds);
          System.out.printf(
              "  CPU seconds used during the ingest (2 cores x %.1f s = %.1f s): JVM %.1f,"
                  + " nats-server %.1f, PostgreSQL %.1f%n",
              seconds, 2 * seconds, cpuUsed.jvm(), cpuUsed.nats(), cpuUsed.postgres());
          double busy = writerBusySeconds(app) - writerBusy0;
          long walIngest = walBytes(st) - wal0;
          System.out.printf(
              "  history writer busy %.2f s of %.2f s (%.0f%%): writing and acknowledging batches;"
                  + " WAL written %,d bytes = %,d per event%n",
              busy, seconds, 100 * busy / seconds, walIngest, walIngest / Math.max(1, total - c0));
          System.out.printf("  the JVM's busiest threads:%s%n", cpuUsed.top(false, 8));
          System.out.printf("  PostgreSQL's processes:%s%n", cpuUsed.top(true, 8));
          // Alert rules run on the state owner for every event (issue 9 asks for their cost here).
          double alertSeconds = (app.alerts().evaluationNanos() - alertNanos0) / 1e9;
          long alertEvents = app.alerts().eventsEvaluated() - alertEvents0;
          System.out.printf(
              "  alert rules (%d): %.2f s on the state owner for %,d events = %.2f µs/event, %.1f%%"
                  + " of the JVM's CPU during the ingest%n",
              app.alerts().rules().size(),
              alertSeconds,
              alertEvents,
              alertEvents == 0 ? 0 : alertSeconds * 1e6 / alertEvents,
              100 * alertSeconds / cpuUsed.jvm());
          for (String setting :
              new String[] {
                "server_version", "fsync", "synchronous_commit", "shared_buffers", "wal_level"
              }) {
            try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
              rs.next();
              System.out.printf("  postgres %s = %s%n", setting, rs.getString(1));
            }
          }

          try (ResultSet rs =
              st.executeQuery(
                  "SELECT datcollate FROM pg_database WHERE datname = current_database()")) {
            rs.next();
            System.out.printf("  postgres collation = %s%n", rs.getString(1));
          }

          // 3. COPY of the same rows into an empty copy of the table.
          st.execute("CREATE TABLE copy_target (LIKE living_map_history INCLUDING ALL)");
          StringWriter text = new StringWriter();
          c.unwrap(PGConnection.class)
              .getCopyAPI()
              .copyOut(
                  "COPY (SELECT * FROM living_map_history WHERE seq > " + w + ") TO STDOUT", text);
          st.execute("CHECKPOINT");
          long walCopy0 = walBytes(st);
          long copyStart = System.nanoTime();
          long copied =
              c.unwrap(PGConnection.class)
                  .getCopyAPI()
                  .copyIn("COPY copy_target FROM STDIN", new StringReader(text.toString()));
          double copyS = (System.nanoTime() - copyStart) / 1e9;
          double copyRate = copied / copyS;
          long walCopy = walBytes(st) - walCopy0;
          st.execute("DROP TABLE copy_target");
          System.out.printf(
              "COPY: %,d rows into an empty LIKE living_map_history INCLUDING ALL in %.2f s ="
                  + " %,.0f rows/s (WAL %,d bytes per row)%n",
              copied, copyS, copyRate, walCopy / Math.max(1, copied));
          // The same rows in the binary format the history writer uses, for comparison.
          java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
          c.unwrap(PGConnection.class)
              .getCopyAPI()
              .copyOut(
                  "COPY (SELECT * FROM living_map_history WHERE seq > "
                      + w
                      + ") TO STDOUT (FORMAT binary)",
                  binary);
          st.execute("CREATE TABLE copy_target (LIKE living_map_history INCLUDING ALL)");
          st.execute("CHECKPOINT");
          long binStart = System.nanoTime();
          long binCopied =
              c.unwrap(PGConnection.class)
                  .getCopyAPI()
                  .copyIn(
                      "COPY copy_target FROM STDIN (FORMAT binary)",
                      new java.io.ByteArrayInputStream(binary.toByteArray()));
          double binS = (System.nanoTime() - binStart) / 1e9;
          st.execute("DROP TABLE copy_target");
          System.out.printf(
              "COPY (FORMAT binary, for comparison): %,d rows in %.2f s = %,.0f rows/s%n",
              binCopied, binS, binCopied / binS);
          System.out.printf(
              "ratio: ingest is %.0f%% of the COPY rate (targets: >= 50%% and >= 30,000"
                  + " events/s); %.0f%% of the binary COPY rate%n",
              100 * ingestRate / copyRate, 100 * ingestRate / (binCopied / binS));
        }
      } finally {
        app.close();
        watcher.interrupt();
      }
    } finally {
      deleteQuietly(dir);
    }
    System.exit(0);
  }

  /** The WAL position in bytes. */
  private static long walBytes(Statement st) throws java.sql.SQLException {
    try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** living_map_history_writer_busy_seconds_total as /metrics shows it. */
  private static double writerBusySeconds(Application app) {
    var c =
        app.metrics()
            .registry()
            .find(org.daarion.livingmap.metrics.Metrics.HISTORY_WRITER_BUSY)
            .functionCounter();
    return c == null ? 0 : c.count();
  }

  /** Extra service settings from {@code -Dbench.env.NAME=value}. */
  private static Map<String, String> overrides() {
    Map<String, String> m = new HashMap<>();
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("bench.env.")) {
        m.put(k.substring("bench.env.".length()), System.getProperty(k));
      }
    }
    if (!m.isEmpty()) {
      System.out.println("service settings: " + m);
    }
    return m;
  }

  /** CPU time in seconds used so far by the JVM, nats-server and the embedded PostgreSQL. */
  record Cpu(double jvm, double nats, double postgres, Map<String, Double> threads) {
    Cpu minus(Cpu o) {
      Map<String, Double> t = new HashMap<>(threads);
      o.threads.forEach((k, v) -> t.merge(k, -v, Double::sum));
      return new Cpu(jvm - o.jvm, nats - o.nats, postgres - o.postgres, t);
    }

    /** The threads (JVM) or processes (pg: ...) that used the most CPU, by name. */
    String top(boolean postgres, int n) {
      StringBuilder b = new StringBuilder();
      threads.entrySet().stream()
          .filter(e -> e.getKey().startsWith("pg: ") == postgres && e.getValue() >= 0.005)
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .limit(n)
          .forEach(e -> b.append(String.format("%n    %-16s %5.2f s", e.getKey(), e.getValue())));
      return b.toString();
    }
  }

  /** CPU seconds per thread of this JVM, threads of one name summed. */
  static Map<String, Double> threadCpu() {
    Map<String, Double> m = new HashMap<>();
    java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
    for (java.io.File t : tasks == null ? new java.io.File[0] : tasks) {
      try {
        String stat = Files.readString(t.toPath().resolve("stat"));
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] x = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double sec = (Long.parseLong(x[11]) + Long.parseLong(x[12])) / 100.0;
        m.merge(name.replaceAll("[0-9]+$", "#"), sec, Double::sum);
      } catch (java.io.IOException | RuntimeException e) {
        // the thread ended meanwhile
      }
    }
    return m;
  }

  static Cpu cpu(int natsPort, Path dataDir) {
    double jvm =
        ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    long nats = 0;
    Map<Long, Long> parent = new HashMap<>();
    Map<Long, Long> ticks = new HashMap<>();
    Map<Long, Long> reaped = new HashMap<>();
    Map<Long, String> commands = new HashMap<>();
    Long postmaster = null;
    java.io.File[] procs = new java.io.File("/proc").listFiles();
    for (java.io.File f : procs == null ? new java.io.File[0] : procs) {
      if (!f.getName().chars().allMatch(Character::isDigit)) {
        continue;
      }
      try {
        String stat = Files.readString(f.toPath().resolve("stat"));
        String[] x = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long pid = Long.parseLong(f.getName());
        parent.put(pid, Long.parseLong(x[1]));
        ticks.put(pid, Long.parseLong(x[11]) + Long.parseLong(x[12]));
        reaped.put(pid, Long.parseLong(x[13]) + Long.parseLong(x[14]));
        String cmd = Files.readString(f.toPath().resolve("cmdline")).replace('\0', ' ');
        commands.put(pid, cmd);
        if (cmd.contains("nats-server") && cmd.contains(" " + natsPort + " ")) {
          nats += ticks.get(pid);
        }
        if (cmd.contains("postgres") && cmd.contains(dataDir.toString())) {
          postmaster = pid;
        }
      } catch (java.io.IOException | RuntimeException e) {
        // the process ended meanwhile
      }
    }
    Map<String, Double> threads = threadCpu();
    if (postmaster != null) {
      // Children that ended (autovacuum workers) count in the postmaster's reaped time.
      threads.put("pg: ended", reaped.get(postmaster) / 100.0);
      threads.put("pg: postmaster", ticks.get(postmaster) / 100.0);
      for (Map.Entry<Long, Long> e : ticks.entrySet()) {
        if (postmaster.equals(parent.get(e.getKey()))) {
          threads.merge(pgKind(commands.get(e.getKey())), e.getValue() / 100.0, Double::sum);
        }
      }
    }
    double pg =
        threads.entrySet().stream()
            .filter(e -> e.getKey().startsWith("pg: "))
            .mapToDouble(Map.Entry::getValue)
            .sum();
    return new Cpu(jvm, nats / 100.0, pg, threads);
  }

  /** "pg: checkpointer", "pg: autovacuum worker", "pg: backend" and so on. */
  private static String pgKind(String cmd) {
    String c = cmd == null ? "" : cmd.trim();
    if (!c.startsWith("postgres: ")) {
      return "pg: other";
    }
    c = c.substring("postgres: ".length());
    for (String kind :
        new String[] {
          "checkpointer",
          "background writer",
          "walwriter",
          "autovacuum launcher",
          "autovacuum worker",
          "logical replication launcher",
          "stats collector"
        }) {
      if (c.startsWith(kind)) {
        return "pg: " + kind;
      }
    }
    return "pg: backend";
  }

  private record Ev(String subject, byte[] payload) {}

  /** A realistic mix over 60 nodes and 200 agents. */
  static Ev event(int i) {
    String ts = Instant.ofEpochSecond(1_790_000_000L + i / 100).toString();
    JsonObject p;
    String subject;
    switch (i % 4) {
      case 0 -> {
        String node = "node-" + (i % 60);
        subject = "node.metrics." + node;
        p =
            new JsonObject()
                .put("node_id", node)
                .put("cpu", (i % 97) / 100.0)
                .put("gpu", (i % 89) / 100.0)
                .put("ram", (i % 83) / 100.0)
                .put("disk", 0.42)
                .put("temperature", 40 + i % 30)
                .put("ts", ts);
      }
      case 1 -> {
        subject = "usage.llm";
        p =
            new JsonObject()
                .put("agent_id", "agent-" + (i % 200))
                .put("model", "qwen3-8b")
                .put("prompt_tokens", 200 + i % 500)
                .put("completion_tokens", 50 + i % 300)
                .put("total_tokens", 250 + i % 800)
                .put("latency_ms", 300 + i % 1500)
                .put("success", true)
                .put("ts", ts);
      }
      case 2 -> {
        subject = "agent.event.status";
        p =
            new JsonObject()
                .put("agent_id", "agent-" + (i % 200))
                .put("status", i % 3 == 0 ? "busy" : "online")
                .put("microdao_id", "microdao-" + (i % 12))
                .put("ts", ts);
      }
      default -> {
        subject = "usage.agent";
        p =
            new JsonObject()
                .put("agent_id", "agent-" + (i % 200))
                .put("llm_calls", 1 + i % 4)
                .put("tool_calls", i % 3)
                .put("duration_ms", 800 + i % 4000)
                .put("success", true)
                .put("ts", ts);
      }
    }
    return new Ev(subject, p.encode().getBytes(StandardCharsets.UTF_8));
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
