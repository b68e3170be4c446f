package org.daarion.livingmap.stream.bench;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;

/**
 * Fan-out benchmark: Living Map's /living-map/stream against nats-server's WebSocket listener, on
 * loopback, with the same clients (Vert.x WebSocket), the same payloads ({@code node.metrics.*}
 * with a {@code pub_us} publish timestamp) and the same rates. Reports delivered messages/s,
 * publish-to-receive p50/p99, and each server's CPU and RSS. Not a unit test: run with {@code
 * bench/stream-fanout.sh}.
 */
public final class StreamFanoutBench {
  private static final long TICKS = 100; // USER_HZ

  /** Latency histogram: 100 µs buckets up to 30 s, then one overflow bucket. */
  static final class Histogram {
    final AtomicLongArray buckets = new AtomicLongArray(300_001);
    final LongAdder count = new LongAdder();

    void record(long us) {
      int b = (int) Math.max(0, Math.min(300_000, us / 100));
      buckets.incrementAndGet(b);
      count.increment();
    }

    double percentileMs(double p) {
      long total = count.sum();
      long target = (long) Math.ceil(total * p);
      long seen = 0;
      for (int i = 0; i < buckets.length(); i++) {
        seen += buckets.get(i);
        if (seen >= target && total > 0) {
          return i * 100 / 1000.0;
        }
      }
      return Double.NaN;
    }

    void reset() {
      for (int i = 0; i < buckets.length(); i++) {
        buckets.set(i, 0);
      }
      count.reset();
    }
  }

  static final Histogram HIST = new Histogram();

  /**
   * Publishing before each measured step, at its rate and unmeasured (both servers). The first
   * Living Map step also warms the JIT, so a longer warm-up shows the server's steady state.
   */
  static final double WARMUP_SECONDS =
      Double.parseDouble(System.getProperty("bench.warmupSeconds", "1"));

  static final byte[] PUB_US = "\"pub_us\":".getBytes(StandardCharsets.US_ASCII);
  static volatile long lastReceiveNs;

  static long nowUs() {
    Instant n = Instant.now();
    return n.getEpochSecond() * 1_000_000L + n.getNano() / 1000;
  }

  static void received(long pubUs) {
    if (pubUs > 0) {
      HIST.record(nowUs() - pubUs);
    }
    lastReceiveNs = System.nanoTime();
  }

  record Step(String server, int clients, int rate, double seconds) {}

  record Result(
      Step step,
      long delivered,
      double msgsPerSec,
      double p50,
      double p99,
      double cpuPct,
      long rssKb,
      String extra) {
    String row() {
      return String.format(
          Locale.ROOT,
          "| %-12s | %5d | %6d | %9d | %10.0f | %8.0f%% | %7.1f | %7.1f | %6.0f%% | %5d MiB | %s |",
          step.server(),
          step.clients(),
          step.rate(),
          (long) (step.rate() * step.seconds() * step.clients()),
          msgsPerSec,
          100.0 * delivered / Math.max(1, step.rate() * step.seconds() * step.clients()),
          p50,
          p99,
          cpuPct,
          rssKb / 1024,
          extra);
    }
  }

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Exception e) {
      // Vert.x threads would keep a failed run alive; the server processes are already stopped.
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    boolean natsToo = !Boolean.getBoolean("bench.livingMapOnly");
    String natsBin = System.getenv().getOrDefault("NATS_SERVER", "/usr/sbin/nats-server");
    List<Result> results = new ArrayList<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    System.out.printf(
        "fan-out benchmark, %s, %d cores, %.0f s per step%n",
        Instant.now(), Runtime.getRuntime().availableProcessors(), seconds);

    // ---- Living Map
    int lmPort = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    // e.g. -Dbench.serverJvmArgs=-XX:StartFlightRecording=filename=lm.jfr to profile the server
    String extra = System.getProperty("bench.serverJvmArgs", "").trim();
    if (!extra.isEmpty()) {
      cmd.addAll(List.of(extra.split("\\s+")));
    }
    cmd.add("-Dlogback.configurationFile=" + System.getProperty("logback.configurationFile", ""));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(StreamBenchServer.class.getName());
    cmd.add(Integer.toString(lmPort));
    Process lm = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(lm.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("READY")) {
        // startup logs
      }
      Thread drainer =
          new Thread(
              () -> {
                try {
                  while (out.readLine() != null) {
                    // discard
                  }
                } catch (IOException ignored) {
                  // process ended
                }
              });
      drainer.setDaemon(true);
      drainer.start();
      // Both framings against the same server process, one after the other.
      String[] framings = System.getProperty("bench.lmFraming", "default,batch").split(",");
      if (Boolean.getBoolean("bench.warmupRun")) {
        // The first step of a fresh server also runs the JIT of the server and of the bench
        // clients, which nats-server's steps, measured last, find warm: run it once unreported.
        Step first = steps("warm-up").get(0);
        for (Result r :
            runLivingMap(
                vertx,
                lm.pid(),
                lmPort,
                seconds,
                framings[0].trim().equals("batch"),
                List.of(first))) {
          System.out.println("(warm-up run, not reported) " + r.row());
        }
      }
      for (String framing : framings) {
        boolean batch = framing.trim().equals("batch");
        results.addAll(
            runLivingMap(
                vertx,
                lm.pid(),
                lmPort,
                seconds,
                batch,
                steps(batch ? "lm batch=1" : "living-map")));
      }
    } finally {
      lm.destroy();
      lm.waitFor(10, TimeUnit.SECONDS);
    }

    // ---- nats-server with a WebSocket listener
    if (!natsToo) {
      vertx.close();
      results.forEach(r -> System.out.println(r.row()));
      return;
    }
    int natsPort = freePort();
    int wsPort = freePort();
    Path conf = Files.createTempFile("nats-bench", ".conf");
    Files.writeString(
        conf,
        "listen: 127.0.0.1:"
            + natsPort
            + "\nmax_pending: 64MB\nwebsocket {\n  listen: \"127.0.0.1:"
            + wsPort
            + "\"\n  no_tls: true\n}\n");
    Process nats =
        new ProcessBuilder(natsBin, "-c", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      waitForPort(natsPort);
      waitForPort(wsPort);
      results.addAll(runNats(vertx, nats.pid(), natsPort, wsPort, seconds));
    } finally {
      nats.destroy();
      nats.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(conf);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    System.out.println();
    System.out.println(
        "| server       | clients | ev/s | expected | delivered msg/s | delivered | p50 ms | p99 ms | server CPU | server RSS | notes |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    for (Result r : results) {
      System.out.println(r.row());
    }
  }

  static List<Step> steps(String server) {
    List<Step> s = new ArrayList<>();
    String spec =
        System.getProperty("bench.steps", "1000x100,1000x200,1000x500,1000x1000,100x10000");
    for (String part : spec.split(",")) {
      String[] cr = part.trim().split("x");
      s.add(new Step(server, Integer.parseInt(cr[0]), Integer.parseInt(cr[1]), 0));
    }
    return s;
  }

  // ------------------------------------------------------------------ Living Map

  /** Opens or closes raw clients until {@code want} are upgraded. */
  static void resize(RawWsClients clients, int want) throws Exception {
    int have = clients.open.get();
    if (have < want) {
      clients.open(want - have);
    } else if (have > want) {
      clients.closeSome(have - want);
    }
    long deadline = System.nanoTime() + 60_000_000_000L;
    long recheck = System.nanoTime() + 1_000_000_000L;
    while (clients.ready.get() != want && System.nanoTime() < deadline) {
      LockSupport.parkNanos(50_000_000);
      if (System.nanoTime() > recheck) {
        // Clients the server closed (4001) in the step before may have counted as open above
        // until their TCP connection was dropped: replace them. Checked after a second, when
        // the connections asked for above have been registered and counted.
        recheck = System.nanoTime() + 1_000_000_000L;
        int missing = want - clients.open.get();
        if (missing > 0) {
          clients.open(missing);
        }
      }
    }
    if (clients.ready.get() != want) {
      throw new IllegalStateException(
          "only " + clients.ready.get() + " of " + want + " clients connected");
    }
  }

  static List<Result> runLivingMap(
      Vertx vertx, long pid, int port, double seconds, boolean batch, List<Step> steps)
      throws Exception {
    List<Result> out = new ArrayList<>();
    String server = batch ? "lm batch=1" : "living-map";
    HttpClient http = HttpClient.newHttpClient();
    // One reference client checks what the measured clients cannot: no gap, no duplicate.
    LivingMapStreamClient reference =
        new LivingMapStreamClient(
            vertx,
            new LivingMapStreamClient.Options()
                .host("127.0.0.1")
                .port(port)
                .keepSeqs(false)
                .reconnect(true, 200)
                .batch(batch)
                .rawEvents(b -> {}));
    reference.connect().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    try (RawWsClients clients =
        new RawWsClients(
            batch ? RawWsClients.Protocol.LIVING_MAP_BATCH : RawWsClients.Protocol.LIVING_MAP,
            "127.0.0.1",
            port,
            batch ? "/living-map/stream?batch=1" : "/living-map/stream",
            null,
            StreamFanoutBench::received)) {
      LongAdder delivered = clients.delivered;
      for (Step st : steps) {
        resize(clients, st.clients());
        post(http, port, st.rate(), WARMUP_SECONDS); // warm-up
        waitPublishing(http, port);
        quiet(delivered);
        HIST.reset();
        delivered.reset();
        JsonStats before = stats(http, port);
        long[] cpu0 = cpuTicks(pid);
        long t0 = System.nanoTime();
        post(http, port, st.rate(), seconds);
        long rss = sampleRssWhile(pid, () -> isPublishing(http, port));
        quiet(delivered);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long[] cpu1 = cpuTicks(pid);
        JsonStats after = stats(http, port);
        double cpuPct = 100.0 * ((cpu1[0] - cpu0[0]) / (double) TICKS) / elapsed;
        long d = delivered.sum();
        Step step = new Step(server, st.clients(), st.rate(), seconds);
        double span = Math.max(seconds, (lastReceiveNs - t0) / 1e9);
        Result r =
            new Result(
                step,
                d,
                d / span,
                HIST.percentileMs(0.50),
                HIST.percentileMs(0.99),
                cpuPct,
                rss,
                "resyncs "
                    + (after.resyncs - before.resyncs)
                    + ", 4001 closes "
                    + (after.slowCloses - before.slowCloses)
                    + ", max queue "
                    + after.maxQueue
                    // the server keeps a high-water mark: whether this step raised it
                    + (after.maxQueue > before.maxQueue ? " (reached in this step)" : "")
                    + ", reference client gaps "
                    + reference.gaps());
        System.out.println(r.row());
        out.add(r);
      }
    } finally {
      reference.close();
    }
    return out;
  }

  record JsonStats(long resyncs, long maxQueue, long slowCloses) {}

  static JsonStats stats(HttpClient http, int port) throws Exception {
    String body =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/bench/stats"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    io.vertx.core.json.JsonObject o = new io.vertx.core.json.JsonObject(body);
    return new JsonStats(
        o.getLong("resyncs"), o.getLong("max_queue_depth"), o.getLong("slow_consumer_closes"));
  }

  static boolean isPublishing(HttpClient http, int port) {
    try {
      String body =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/bench/stats"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return new io.vertx.core.json.JsonObject(body).getBoolean("publishing");
    } catch (Exception e) {
      return false;
    }
  }

  static void waitPublishing(HttpClient http, int port) {
    while (isPublishing(http, port)) {
      LockSupport.parkNanos(50_000_000);
    }
  }

  static void post(HttpClient http, int port, int rate, double seconds) throws Exception {
    http.send(
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + port
                        + "/bench/publish?rate="
                        + rate
                        + "&seconds="
                        + seconds))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  // ------------------------------------------------------------------ nats-server

  static List<Result> runNats(Vertx vertx, long pid, int natsPort, int wsPort, double seconds)
      throws Exception {
    List<Result> out = new ArrayList<>();
    try (Connection pub = Nats.connect("nats://127.0.0.1:" + natsPort);
        RawWsClients clients =
            new RawWsClients(
                RawWsClients.Protocol.NATS,
                "127.0.0.1",
                wsPort,
                "/",
                "node.metrics.>",
                StreamFanoutBench::received)) {
      LongAdder delivered = clients.delivered;
      for (Step st : steps("nats-server")) {
        resize(clients, st.clients());
        natsPublish(pub, st.rate(), WARMUP_SECONDS); // warm-up (also lets every SUB arrive)
        quiet(delivered);
        HIST.reset();
        delivered.reset();
        long[] cpu0 = cpuTicks(pid);
        long t0 = System.nanoTime();
        long[] rss = {0};
        Thread sampler =
            new Thread(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    rss[0] = Math.max(rss[0], rssKb(pid));
                    LockSupport.parkNanos(200_000_000);
                  }
                });
        sampler.start();
        natsPublish(pub, st.rate(), seconds);
        quiet(delivered);
        sampler.interrupt();
        sampler.join();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long[] cpu1 = cpuTicks(pid);
        double cpuPct = 100.0 * ((cpu1[0] - cpu0[0]) / (double) TICKS) / elapsed;
        long d = delivered.sum();
        Step step = new Step("nats-server", st.clients(), st.rate(), seconds);
        double span = Math.max(seconds, (lastReceiveNs - t0) / 1e9);
        Result r =
            new Result(
                step,
                d,
                d / span,
                HIST.percentileMs(0.50),
                HIST.percentileMs(0.99),
                cpuPct,
                rss[0],
                "");
        System.out.println(r.row());
        out.add(r);
      }
    }
    return out;
  }

  static void natsPublish(Connection pub, int rate, double seconds) throws Exception {
    long start = System.nanoTime();
    long total = (long) (rate * seconds);
    long sent = 0;
    while (sent < total) {
      long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * rate) + 1);
      while (sent < due) {
        int n = (int) (sent % 100);
        String p =
            "{\"node_id\":\"node:n"
                + n
                + "\",\"cpu\":"
                + (sent % 100) / 100.0
                + ",\"pub_us\":"
                + nowUs()
                + "}";
        pub.publish("node.metrics.n" + n, p.getBytes(StandardCharsets.UTF_8));
        sent++;
      }
      LockSupport.parkNanos(1_000_000);
    }
    pub.flush(java.time.Duration.ofSeconds(10));
  }

  // ------------------------------------------------------------------ process measurements

  /** utime+stime of a process, in clock ticks. */
  static long[] cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12])};
  }

  static long rssKb(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }

  static long sampleRssWhile(long pid, java.util.function.BooleanSupplier cond) {
    long max = 0;
    LockSupport.parkNanos(100_000_000);
    while (cond.getAsBoolean()) {
      max = Math.max(max, rssKb(pid));
      LockSupport.parkNanos(200_000_000);
    }
    return Math.max(max, rssKb(pid));
  }

  /** Waits until no message arrived for 1 s (bounded to 30 s). */
  static void quiet(LongAdder delivered) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    long last = -1;
    while (System.nanoTime() < deadline) {
      long now = delivered.sum();
      if (now == last) {
        return;
      }
      last = now;
      LockSupport.parkNanos(1_000_000_000);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void waitForPort(int port) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        LockSupport.parkNanos(50_000_000);
      }
    }
    throw new IllegalStateException("port " + port + " did not open");
  }
}
