package org.daarion.livingmap.stream.bench;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.ServiceProcess;
import org.daarion.livingmap.testing.TestDatabase;

/**
 * Scale-out benchmark (issue 8): delivered WebSocket messages/s with one, two and three Living Map
 * replicas in cluster mode (separate JVMs) on one nats-server (JetStream) and one PostgreSQL, the
 * same total clients split evenly over the replicas, events published to JetStream at a fixed rate.
 * Reports delivered msg/s, publish-to-receive p50/p99 and the replicas' CPU. Not a unit test: run
 * with {@code bench/replicas.sh}.
 */
public final class ReplicasBench {
  private static final long TICKS = 100; // USER_HZ

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    int clients = Integer.getInteger("bench.clients", 1000);
    int rate = Integer.getInteger("bench.rate", 100);
    String counts = System.getProperty("bench.replicas", "1,2,3");
    System.out.printf(
        "replicas benchmark, %s, %d cores, %d clients, %d events/s, %.0f s per step%n",
        Instant.now(), Runtime.getRuntime().availableProcessors(), clients, rate, seconds);
    List<String> rows = new ArrayList<>();
    for (String c : counts.split(",")) {
      rows.add(run(Integer.parseInt(c.trim()), clients, rate, seconds));
    }
    System.out.println();
    System.out.println(
        "| replicas | clients | ev/s | expected | delivered msg/s | delivered | p50 ms | p99 ms |"
            + " replicas' CPU (of 200 %) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  static String run(int replicas, int clients, int rate, double seconds) throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    List<ServiceProcess> services = new ArrayList<>();
    List<RawWsClients> sockets = new ArrayList<>();
    try (NatsServerProcess nats = NatsServerProcess.start();
        NatsPublisher publisher =
            NatsPublisher.connect(
                nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      for (int r = 0; r < replicas; r++) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", db.databaseUrl());
        env.put("NATS_URL", nats.url());
        env.put("LIVING_MAP_NATS_MODE", "jetstream");
        env.put("LIVING_MAP_SIMULATOR", "off");
        env.put("LIVING_MAP_REPLICA_ID", "bench-" + r);
        env.put("LIVING_MAP_WS_MAX_CONNECTIONS", "100000");
        ServiceProcess p =
            new ServiceProcess(env, Files.createTempDirectory("living-map-bench-r" + r));
        p.start();
        services.add(p);
      }
      for (int r = 0; r < replicas; r++) {
        RawWsClients cl =
            new RawWsClients(
                RawWsClients.Protocol.LIVING_MAP,
                "127.0.0.1",
                services.get(r).port(),
                "/living-map/stream",
                null,
                StreamFanoutBench::received);
        sockets.add(cl);
        StreamFanoutBench.resize(cl, clients / replicas + (r < clients % replicas ? 1 : 0));
      }
      publish(publisher, rate, 2); // warm-up
      for (RawWsClients cl : sockets) {
        StreamFanoutBench.quiet(cl.delivered);
      }
      StreamFanoutBench.HIST.reset();
      sockets.forEach(cl -> cl.delivered.reset());
      long[] cpu0 = cpu(services);
      long t0 = System.nanoTime();
      publish(publisher, rate, seconds);
      for (RawWsClients cl : sockets) {
        StreamFanoutBench.quiet(cl.delivered);
      }
      long t1 = System.nanoTime();
      long[] cpu1 = cpu(services);
      long d = sockets.stream().mapToLong(cl -> cl.delivered.sum()).sum();
      double span = Math.max(seconds, (StreamFanoutBench.lastReceiveNs - t0) / 1e9);
      long expected = (long) (rate * seconds) * clients;
      double cpuPct = 100.0 * ((cpu1[0] - cpu0[0]) / (double) TICKS) / ((t1 - t0) / 1e9);
      String row =
          String.format(
              Locale.ROOT,
              "| %d | %d | %d | %d | %.0f | %.0f %% | %.1f | %.1f | %.0f %% |",
              replicas,
              clients,
              rate,
              expected,
              d / span,
              100.0 * d / Math.max(1, expected),
              StreamFanoutBench.HIST.percentileMs(0.50),
              StreamFanoutBench.HIST.percentileMs(0.99),
              cpuPct);
      System.out.println(row);
      return row;
    } finally {
      for (RawWsClients cl : sockets) {
        cl.close();
      }
      for (ServiceProcess p : services) {
        p.kill();
      }
    }
  }

  /** Publishes {@code rate} events/s for {@code seconds}, in 10 ms slices. */
  static void publish(NatsPublisher publisher, int rate, double seconds) throws Exception {
    long slices = (long) (seconds * 100);
    long start = System.nanoTime();
    long sent = 0;
    for (long s = 1; s <= slices; s++) {
      long due = rate * s / 100;
      for (; sent < due; sent++) {
        String node = "bench-" + (sent % 50);
        publisher.publish(
            "node.metrics." + node,
            new JsonObject()
                .put("node_id", node)
                .put("cpu", (sent % 100) / 100.0)
                .put("gpu", (sent % 70) / 100.0)
                .put("pub_us", StreamFanoutBench.nowUs())
                .encode()
                .getBytes(StandardCharsets.UTF_8),
            null);
      }
      long wait = start + s * 10_000_000L - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
    }
    publisher.flush(java.time.Duration.ofSeconds(30));
  }

  private static long[] cpu(List<ServiceProcess> services) throws Exception {
    long sum = 0;
    for (ServiceProcess p : services) {
      sum += StreamFanoutBench.cpuTicks(p.pid())[0];
    }
    return new long[] {sum};
  }
}
