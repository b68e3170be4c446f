package org.daarion.livingmap.bench;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.ServiceProcess;

/**
 * Issue 13 part 2, the memory budget under 1 MB events: a real nats-server (JetStream on, free
 * port), the packaged service ({@code target/living-map.jar}) as a child JVM with a small heap that
 * exits on OutOfMemoryError and dumps its heap, its embedded PostgreSQL in a temporary directory.
 * Publishes N events of about 1,000,000 bytes ({@code node.metrics.big<i%50>}, a {@code pad} string
 * field; JetStream with a publish ack each, core as fast as it can), waits until every event is
 * stored or rejected, then runs rounds of parallel {@code GET /living-map/history?limit=1000}. Not
 * a test (surefire does not run it); launched by {@code bench/memory.sh}.
 *
 * <p>The heap is sampled by {@code jstat -gc <pid> 250} (the JVM's perf counters: no request to the
 * service, no GC forced); {@code -Dbench.histoAtMiB=N} takes {@code jcmd GC.class_histogram} (which
 * forces a full GC) when the used heap passes N MiB, at most once a second, to find what fills it.
 */
public final class MemoryBench {
  private static final int EVENTS = Integer.getInteger("bench.events", 1000);
  private static final int SIZE = Integer.getInteger("bench.size", 1_000_000);
  private static final String HEAP = System.getProperty("bench.heap", "512m");
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 4);
  private static final int PARALLEL = Integer.getInteger("bench.parallel", 8);
  private static final int HISTO_AT_MIB = Integer.getInteger("bench.histoAtMiB", 0);
  private static final Duration SETTLE = Duration.ofMinutes(10);
  private static final Duration NO_PROGRESS = Duration.ofMinutes(3);
  private static final Path JAR = Path.of(System.getProperty("bench.jar", "target/living-map.jar"));

  private MemoryBench() {}

  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "both";
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    List<String> modes =
        switch (which) {
          case "core" -> List.of("core");
          case "jetstream" -> List.of("jetstream");
          case "both" -> List.of("core", "jetstream");
          default -> throw new IllegalArgumentException("mode: core, jetstream or both");
        };
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " missing: mvn -B -o -q -DskipTests package");
    }
    List<String> summary = new ArrayList<>();
    for (String mode : modes) {
      for (int run = 1; run <= runs; run++) {
        summary.add(run(mode, run));
      }
    }
    System.out.println();
    System.out.println("== summary (-Xmx" + HEAP + ", " + EVENTS + " x " + SIZE + " B) ==");
    summary.forEach(System.out::println);
  }

  private static String run(String mode, int run) throws Exception {
    Path dir = Files.createTempDirectory("living-map-membench-");
    Path dumps = Files.createDirectories(dir.resolve("dumps"));
    System.out.printf("%n== %s run %d, -Xmx%s, files in %s ==%n", mode, run, HEAP, dir);
    List<String> jvm =
        List.of(
            "-Xmx" + HEAP,
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:+HeapDumpOnOutOfMemoryError",
            "-XX:HeapDumpPath=" + dumps,
            "-Xlog:gc:file=" + dir.resolve("gc.log") + ":uptime");
    Map<String, String> env = new TreeMap<>();
    try (NatsServerProcess nats = NatsServerProcess.start()) {
      env.put("NATS_URL", nats.url());
      env.put("LIVING_MAP_NATS_MODE", mode);
      env.put("LIVING_MAP_SIMULATOR", "off");
      env.put("LIVING_MAP_LOG_FORMAT", "text");
      System.getProperties().stringPropertyNames().stream()
          .filter(k -> k.startsWith("bench.env."))
          .forEach(k -> env.put(k.substring("bench.env.".length()), System.getProperty(k)));
      try (ServiceProcess service =
              new ServiceProcess(env, Files.createDirectories(dir.resolve("data")), jvm, JAR);
          HeapSampler heap = new HeapSampler()) {
        service.start();
        long pid = service.pid();
        heap.start(pid, dir);
        Http http = new Http(service.port());
        awaitNatsOk(http);

        long t0 = System.nanoTime();
        publish(nats.url(), mode);
        double publishS = (System.nanoTime() - t0) / 1e9;
        System.out.printf("published %d events in %.1f s%n", EVENTS, publishS);

        Counts c = settle(http, service);
        double settleS = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "stored %d, rejected %d %s, NATS drops %d, %.1f s after the first publish%n",
            c.stored, c.rejected, c.reasons, c.dropped, settleS);
        String reasonText = c.rejected > 0 ? rejectedReason(http) : "";
        if (!reasonText.isEmpty()) {
          System.out.println("rejected reason: " + reasonText);
        }
        long heapAfterIngest = heap.maxUsed.get();

        List<String> rounds = new ArrayList<>();
        int ok = 0;
        int failed = 0;
        long minMs = Long.MAX_VALUE;
        long maxMs = 0;
        long minBytes = Long.MAX_VALUE;
        long maxBytes = 0;
        long minItems = Long.MAX_VALUE;
        long maxItems = 0;
        HttpClient client =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
          for (int r = 1; r <= ROUNDS && service.isAlive(); r++) {
            List<CompletableFuture<String>> answers = new ArrayList<>();
            for (int i = 0; i < PARALLEL; i++) {
              answers.add(
                  CompletableFuture.supplyAsync(() -> history(client, service.port()), pool));
            }
            StringBuilder line = new StringBuilder("round " + r + ":");
            for (CompletableFuture<String> a : answers) {
              String res = a.get(5, TimeUnit.MINUTES);
              line.append(' ').append(res);
              Matcher m = ANSWER.matcher(res);
              if (m.matches()) {
                ok++;
                long ms = Long.parseLong(m.group(1));
                long bytes = Long.parseLong(m.group(2));
                long items = Long.parseLong(m.group(3));
                minMs = Math.min(minMs, ms);
                maxMs = Math.max(maxMs, ms);
                minBytes = Math.min(minBytes, bytes);
                maxBytes = Math.max(maxBytes, bytes);
                minItems = Math.min(minItems, items);
                maxItems = Math.max(maxItems, items);
              } else {
                failed++;
              }
            }
            System.out.println(line);
            rounds.add(line.toString());
          }
        } finally {
          pool.shutdownNow();
        }
        // Let a last jstat sample arrive before reading the maximum.
        Thread.sleep(600);
        boolean alive = service.isAlive();
        String rss = rss(pid);
        List<String> dumpFiles;
        try (var s = Files.list(dumps)) {
          dumpFiles = s.map(Path::toString).toList();
        }
        String result =
            String.format(
                "%s run %d: stored %d, rejected %d %s, NATS drops %d, ingest %.0f s;"
                    + " /history %d x 200 JSON (%d failed), %d-%d ms, %d-%d B, %d-%d items;"
                    + " heap used max %d MiB (%d MiB during ingest), %s; process %s%s",
                mode,
                run,
                c.stored,
                c.rejected,
                c.reasons,
                c.dropped,
                settleS,
                ok,
                failed,
                ok > 0 ? minMs : 0,
                maxMs,
                ok > 0 ? minBytes : 0,
                maxBytes,
                ok > 0 ? minItems : 0,
                maxItems,
                heap.maxUsed.get() >> 20,
                heapAfterIngest >> 20,
                rss,
                alive ? "up" : "DIED",
                dumpFiles.isEmpty() ? "" : " heap dump " + dumpFiles);
        if (!alive) {
          System.out.println("service log tail:\n" + tailLines(service.tail(), 30));
        }
        System.out.println(result);
        return result;
      }
    }
  }

  private static final Pattern ANSWER = Pattern.compile("200:(\\d+)ms:(\\d+)B:(\\d+)");

  /** One {@code /history?limit=1000}: "200:<ms>ms:<bytes>B:<items>" or what went wrong. */
  private static String history(HttpClient client, int port) {
    long t = System.nanoTime();
    try {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/living-map/history?limit=1000"))
                  .timeout(Duration.ofMinutes(3))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      long ms = (System.nanoTime() - t) / 1_000_000;
      String type = r.headers().firstValue("content-type").orElse("");
      if (r.statusCode() != 200 || !type.startsWith("application/json")) {
        return r.statusCode() + "(" + type + ")";
      }
      JsonObject page = new JsonObject(r.body());
      return "200:"
          + ms
          + "ms:"
          + r.body().getBytes(StandardCharsets.UTF_8).length
          + "B:"
          + page.getJsonArray("items").size();
    } catch (Exception e) {
      return "failed(" + e.getClass().getSimpleName() + ")";
    }
  }

  private static void publish(String url, String mode) throws Exception {
    try (Connection conn = Nats.connect(url)) {
      JetStream js = "jetstream".equals(mode) ? conn.jetStream() : null;
      for (int i = 0; i < EVENTS; i++) {
        byte[] body = payload(i);
        String subject = "node.metrics.big" + (i % 50);
        if (js != null) {
          js.publish(subject, body);
        } else {
          conn.publish(subject, body);
        }
      }
      conn.flush(Duration.ofMinutes(2));
    }
  }

  private static byte[] payload(int marker) {
    StringBuilder sb = new StringBuilder(SIZE + 64);
    sb.append("{\"marker\":")
        .append(marker)
        .append(",\"node_id\":\"node:big")
        .append(marker % 50)
        .append("\",\"cpu\":12.5,\"pad\":\"");
    while (sb.length() < SIZE - 2) {
      sb.append((char) ('a' + (marker + sb.length()) % 26));
    }
    return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private record Counts(long stored, long rejected, Map<String, Long> reasons, long dropped) {}

  /** Polls until stored + rejected reaches N, the process dies, or nothing moves for a while. */
  private static Counts settle(Http http, ServiceProcess service) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    long lastChange = System.nanoTime();
    long lastSum = -1;
    Counts c = new Counts(0, 0, Map.of(), 0);
    while (System.nanoTime() < deadline && service.isAlive()) {
      try {
        c = counts(http);
      } catch (RuntimeException e) {
        // the service is busy or dying: try again until the deadline
      }
      long sum = c.stored + c.rejected;
      if (sum >= EVENTS) {
        return c;
      }
      if (sum != lastSum) {
        lastSum = sum;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > NO_PROGRESS.toNanos()) {
        System.out.println("no progress for " + NO_PROGRESS + "; giving up waiting");
        return c;
      }
      Thread.sleep(500); // a poll interval of a benchmark, not a test's synchronisation
    }
    return c;
  }

  private static final Pattern METRIC =
      Pattern.compile(
          "^(living_map_ingest_rejected_total|living_map_nats_dropped_total)\\{([^}]*)\\} (\\S+)$");

  private static Counts counts(Http http) {
    JsonObject stats = http.get("/living-map/history/stats?bucket=1h").json();
    long stored = 0;
    for (Map.Entry<String, Object> e : stats.getJsonObject("by_type")) {
      if (e.getKey().startsWith("node.metrics")) {
        stored += ((Number) e.getValue()).longValue();
      }
    }
    long rejected = 0;
    long dropped = 0;
    Map<String, Long> reasons = new TreeMap<>();
    for (String line : http.get("/metrics").body().split("\n")) {
      Matcher m = METRIC.matcher(line);
      if (!m.matches()) {
        continue;
      }
      long v = (long) Double.parseDouble(m.group(3));
      if (m.group(1).startsWith("living_map_ingest")) {
        rejected += v;
        if (v > 0) {
          reasons.merge(m.group(2), v, Long::sum);
        }
      } else {
        dropped += v;
      }
    }
    return new Counts(stored, rejected, reasons, dropped);
  }

  /** The reason text of the first rejected events ({@code /living-map/rejected}). */
  private static String rejectedReason(Http http) {
    try {
      JsonObject page = http.get("/living-map/rejected?limit=3").json();
      var reasons = new java.util.TreeSet<String>();
      page.getJsonArray("items")
          .forEach(o -> reasons.add(String.valueOf(((JsonObject) o).getValue("reason"))));
      return String.join(" | ", reasons);
    } catch (RuntimeException e) {
      return "(/rejected: " + e.getMessage() + ")";
    }
  }

  private static void awaitNatsOk(Http http) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        JsonObject health = http.get("/living-map/health").json();
        if ("ok".equals(health.getJsonObject("checks").getJsonObject("nats").getString("status"))) {
          return;
        }
      } catch (RuntimeException e) {
        // not yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("NATS not ok in 60 s");
  }

  /** Current and peak resident set size from /proc. */
  private static String rss(long pid) {
    try {
      long rss = 0;
      long hwm = 0;
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          rss = Long.parseLong(l.replaceAll("\\D", ""));
        } else if (l.startsWith("VmHWM:")) {
          hwm = Long.parseLong(l.replaceAll("\\D", ""));
        }
      }
      return String.format("RSS %d MiB (peak %d MiB)", rss >> 10, hwm >> 10);
    } catch (IOException | RuntimeException e) {
      return "RSS n/a (process gone)";
    }
  }

  private static String tailLines(String text, int n) {
    String[] lines = text.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - n), lines.length));
  }

  /**
   * {@code jstat -gc <pid> 250}: the used heap (survivors + eden + old) four times a second, its
   * maximum kept; optionally class histograms past a threshold.
   */
  private static final class HeapSampler implements AutoCloseable {
    final AtomicLong maxUsed = new AtomicLong();
    private final AtomicInteger histograms = new AtomicInteger();
    private Process jstat;
    private Thread reader;

    void start(long pid, Path dir) throws IOException {
      jstat =
          new ProcessBuilder("jstat", "-gc", Long.toString(pid), "250")
              .redirectErrorStream(true)
              .start();
      Path log = dir.resolve("jstat.log");
      reader =
          new Thread(
              () -> {
                long lastHisto = 0;
                try (BufferedReader in =
                        new BufferedReader(
                            new InputStreamReader(jstat.getInputStream(), StandardCharsets.UTF_8));
                    var out = Files.newBufferedWriter(log)) {
                  String[] header = null;
                  String line;
                  while ((line = in.readLine()) != null) {
                    out.write(Instant.now() + " " + line + "\n");
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 0 && "S0C".equals(f[0])) {
                      header = f;
                      continue;
                    }
                    if (header == null || f.length != header.length) {
                      continue;
                    }
                    double kb = 0;
                    for (int i = 0; i < header.length; i++) {
                      if (List.of("S0U", "S1U", "EU", "OU").contains(header[i])) {
                        kb += Double.parseDouble(f[i]);
                      }
                    }
                    long used = (long) (kb * 1024);
                    maxUsed.accumulateAndGet(used, Math::max);
                    if (HISTO_AT_MIB > 0
                        && used > (long) HISTO_AT_MIB << 20
                        && System.nanoTime() - lastHisto > 1_000_000_000L
                        && histograms.get() < 10) {
                      lastHisto = System.nanoTime();
                      int n = histograms.incrementAndGet();
                      Path h = dir.resolve("histogram-" + n + ".txt");
                      new ProcessBuilder("jcmd", Long.toString(pid), "GC.class_histogram")
                          .redirectErrorStream(true)
                          .redirectOutput(h.toFile())
                          .start();
                      System.out.printf("heap used %d MiB: class histogram -> %s%n", used >> 20, h);
                    }
                  }
                } catch (IOException | RuntimeException e) {
                  // jstat ends with the service
                }
              },
              "jstat-reader");
      reader.setDaemon(true);
      reader.start();
    }

    @Override
    public void close() {
      if (jstat != null) {
        jstat.destroy();
      }
    }
  }
}
