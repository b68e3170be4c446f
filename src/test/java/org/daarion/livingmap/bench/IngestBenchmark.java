package org.daarion.livingmap.bench;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
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
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.app.Application;
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
 *   <li>Pre-publishes W + N events (a mix of node metrics, LLM usage, agent status and agent usage,
 *       150–250 bytes each, unique {@code Nats-Msg-Id}s) into the stream the service will read.
 *   <li>Starts the service and measures two phases of the one ingest, each until its events are
 *       committed in history (the newest seq, checked with {@code count(*)} at the end) and applied
 *       to the state: <b>cold</b>, the first N events from the durable consumer's first delivery (a
 *       service that has just started: the JIT compiles while it ingests); <b>warm</b>, the last N
 *       events from the first delivery after W warm-up events (the steady state of a running
 *       service).
 *   <li>Times a {@code COPY} of N of the same rows into an empty {@code LIKE living_map_history
 *       INCLUDING ALL} table in the same PostgreSQL, in the text format and, for comparison, the
 *       binary one the history writer uses.
 * </ol>
 *
 * <p>System properties: {@code bench.events} N (200000); {@code bench.warmup} W (500000; 0 measures
 * the cold phase only); {@code bench.env.NAME=value} service settings.
 */
public final class IngestBenchmark {
  private static final String STREAM = "LIVING_MAP";
  private static final String DURABLE = "living-map";

  private IngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger("bench.events", 200_000);
    int w = Integer.getInteger("bench.warmup", 500_000);
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

      // 2. The service consumes them. The watcher marks the first delivery of the first event
      // (the cold phase starts) and of the first event after the warm-up (the warm phase starts).
      AtomicReference<Long> firstAnyAt = new AtomicReference<>();
      AtomicReference<Cpu> firstAnyCpu = new AtomicReference<>();
      AtomicReference<Long> firstWarmAt = new AtomicReference<>();
      AtomicReference<Cpu> firstWarmCpu = new AtomicReference<>();
      Thread watcher =
          new Thread(
              () -> {
                while (firstWarmAt.get() == null && !Thread.currentThread().isInterrupted()) {
                  try {
                    long delivered =
                        jsm.getConsumerInfo(STREAM, DURABLE).getDelivered().getStreamSequence();
                    if (delivered > 0 && firstAnyAt.get() == null) {
                      firstAnyCpu.set(cpu(nats.port(), dir));
                      firstAnyAt.set(System.nanoTime());
                    }
                    if (delivered > w) {
                      firstWarmCpu.set(w == 0 ? firstAnyCpu.get() : cpu(nats.port(), dir));
                      firstWarmAt.set(w == 0 ? firstAnyAt.get() : System.nanoTime());
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
        try (Connection c = DriverManager.getConnection(jdbc);
            Statement st = c.createStatement()) {
          Mark coldStart = null;
          Mark coldEnd = null;
          Mark warmStart = null;
          Mark warmEnd;
          long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
          while (true) {
            long committed = committed(st);
            long applied = app.owner().appliedCount();
            if (coldStart == null && firstAnyAt.get() != null) {
              coldStart = mark(firstAnyAt.get(), firstAnyCpu.get(), 0, app, st);
            }
            if (warmStart == null && firstWarmAt.get() != null) {
              warmStart = mark(firstWarmAt.get(), firstWarmCpu.get(), committed, app, st);
            }
            if (coldEnd == null && coldStart != null && committed >= n && applied >= n) {
              coldEnd = mark(System.nanoTime(), cpu(nats.port(), dir), committed, app, st);
            }
            if (warmStart != null && committed >= total && applied >= total) {
              warmEnd = mark(System.nanoTime(), cpu(nats.port(), dir), committed, app, st);
              break;
            }
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException(
                  "not done in 10 minutes: " + committed + " committed");
            }
            Thread.sleep(20); // poll interval of the measurement (20 ms resolution)
          }
          watcher.join(1000);
          long rows;
          try (ResultSet rs = st.executeQuery("SELECT count(*) FROM living_map_history")) {
            rs.next();
            rows = rs.getLong(1);
          }
          System.out.printf(
              "history rows %,d, state applied %,d (of %,d published)%n",
              rows, app.owner().appliedCount(), total);
          double coldRate =
              report(
                  "cold: the first %,d events, from the service's first delivery".formatted(n),
                  coldStart,
                  coldEnd,
                  app);
          double warmRate =
              w == 0
                  ? coldRate
                  : report(
                      ("warm: the last %,d events, after %,d warm-up events in the same run"
                              + " (JIT compiled)")
                          .formatted(n, w),
                      warmStart,
                      warmEnd,
                      app);
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
                  "COPY (SELECT * FROM living_map_history WHERE seq > "
                      + (total - n)
                      + ") TO STDOUT",
                  text);
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
                      + (total - n)
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
          double binRate = binCopied / binS;
          for (String[] phase :
              w == 0
                  ? new String[][] {{"cold", String.valueOf(coldRate)}}
                  : new String[][] {
                    {"cold", String.valueOf(coldRate)}, {"warm", String.valueOf(warmRate)}
                  }) {
            double rate = Double.parseDouble(phase[1]);
            System.out.printf(
                "ratio (%s): ingest %,.0f events/s is %.0f%% of the COPY rate (targets: >= 50%%"
                    + " and >= 30,000 events/s); %.0f%% of the binary COPY rate%n",
                phase[0], rate, 100 * rate / copyRate, 100 * rate / binRate);
          }
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

  /** What the run looked like at one instant. */
  private record Mark(
      long nanos,
      Cpu cpu,
      long committed,
      long applied,
      double writerBusy,
      long wal,
      long alertNanos,
      long alertEvents) {}

  private static Mark mark(long nanos, Cpu cpu, long committed, Application app, Statement st)
      throws java.sql.SQLException {
    return new Mark(
        nanos,
        cpu,
        committed,
        app.owner().appliedCount(),
        writerBusySeconds(app),
        walBytes(st),
        app.alerts().evaluationNanos(),
        app.alerts().eventsEvaluated());
  }

  /** Prints one phase and returns its events/s. */
  private static double report(String label, Mark a, Mark b, Application app) {
    double seconds = (b.nanos - a.nanos) / 1e9;
    long events = b.committed - a.committed;
    double rate = events / seconds;
    Cpu used = b.cpu.minus(a.cpu);
    System.out.printf("%s%n", label);
    System.out.printf(
        "  ingest: %,d events committed in history and applied to the state in %.2f s ="
            + " %,.0f events/s%n",
        events, seconds, rate);
    System.out.printf(
        "  CPU seconds (2 cores x %.1f s = %.1f s): JVM %.1f, nats-server %.1f, PostgreSQL %.1f%n",
        seconds, 2 * seconds, used.jvm(), used.nats(), used.postgres());
    double busy = b.writerBusy - a.writerBusy;
    System.out.printf(
        "  history writer busy %.2f s (%.0f%%): writing and acknowledging batches; WAL %,d bytes"
            + " per event%n",
        busy, 100 * busy / seconds, (b.wal - a.wal) / Math.max(1, events));
    System.out.printf("  the JVM's busiest threads:%s%n", used.top(false, 8));
    System.out.printf("  PostgreSQL's processes:%s%n", used.top(true, 8));
    // Alert rules run on the state owner for every event (issue 9 asks for their cost here).
    double alertSeconds = (b.alertNanos - a.alertNanos) / 1e9;
    long alertEvents = b.alertEvents - a.alertEvents;
    System.out.printf(
        "  alert rules (%d): %.2f s on the state owner for %,d events = %.2f µs/event, %.1f%% of"
            + " the JVM's CPU%n",
        app.alerts().rules().size(),
        alertSeconds,
        alertEvents,
        alertEvents == 0 ? 0 : alertSeconds * 1e6 / alertEvents,
        100 * alertSeconds / used.jvm());
    return rate;
  }

  /** The newest seq in history, through the (epoch, seq) index. */
  private static long committed(Statement st) throws java.sql.SQLException {
    // A bare max(seq) has no index to use and would scan the whole table every poll, charging the
    // measurement's own cost to PostgreSQL.
    try (ResultSet rs =
        st.executeQuery(
            "SELECT coalesce((SELECT seq FROM living_map_history h WHERE h.epoch ="
                + " (SELECT epoch FROM living_map_history LIMIT 1)"
                + " ORDER BY epoch DESC, seq DESC LIMIT 1), 0)")) {
      rs.next();
      return rs.getLong(1);
    }
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
