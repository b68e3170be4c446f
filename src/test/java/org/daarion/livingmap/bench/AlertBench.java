package org.daarion.livingmap.bench;

import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.alert.AlertNotifier;
import org.daarion.livingmap.alert.AlertRules;
import org.daarion.livingmap.alert.AlertService;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventSink;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.StateOwner;

/**
 * How much the alert rules cost on the state owner's thread. Not a test (surefire does not run it):
 *
 * <pre>
 * mvn -B -q -o test-compile && java -cp "target/classes:target/test-classes:$(mvn -B -q -o \
 *   dependency:build-classpath -Dmdep.outputFile=/dev/stdout)" org.daarion.livingmap.bench.AlertBench [events]
 * </pre>
 *
 * Feeds a simulator-like mix (node metrics for 60 nodes, LLM usage for 200 agents with 2% failures,
 * agent status, messages) through a real {@link StateOwner} with the built-in rules, and reports
 * the time spent inside the alert sink per event, the evaluations per second and the share of one
 * core the rules would take at 30,000 events/s.
 */
public final class AlertBench {
  private AlertBench() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 600_000;
    for (int round = 1; round <= 3; round++) {
      run(events, round);
    }
  }

  private static void run(int events, int round) throws Exception {
    StateOwner owner = new StateOwner(new LiveState("bench", 0), 65_536, Clock.systemUTC());
    AlertService alerts =
        new AlertService(
            owner,
            AlertRules.defaults(),
            AlertNotifier.NONE,
            JsonObject::new,
            Clock.systemUTC(),
            Duration.ofMinutes(1));
    AtomicLong sinkNanos = new AtomicLong();
    AtomicLong seen = new AtomicLong();
    AtomicLong ownerThread = new AtomicLong(-1);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    // CPU time, not wall time: the machine may be shared, and a preempted thread's wall time lies.
    EventSink timed =
        batch -> {
          ownerThread.compareAndSet(-1, Thread.currentThread().getId());
          long t = mx.getCurrentThreadCpuTime();
          alerts.onEvents(batch);
          sinkNanos.addAndGet(mx.getCurrentThreadCpuTime() - t);
        };
    owner.addSink(timed);
    owner.addSink(batch -> seen.addAndGet(batch.size()));
    owner.start();
    Random rnd = new Random(42);
    Instant now = Instant.now();
    long start = System.nanoTime();
    for (int i = 0; i < events; i++) {
      owner.submit(event(rnd, i, now));
    }
    while (seen.get() < events) {
      Thread.onSpinWait();
    }
    long wall = System.nanoTime() - start;
    long ownerCpu = mx.getThreadCpuTime(ownerThread.get());
    long evaluations = alerts.evaluations();
    double nsPerEvent = (double) sinkNanos.get() / events;
    double sinkSeconds = sinkNanos.get() / 1e9;
    System.out.printf(
        "round %d: %,d events through the owner in %.2f s wall (%,.0f events/s), owner thread CPU"
            + " %.2f s, of which the alert sink %.2f s (%.0f%%); alert sink %.0f ns/event,"
            + " %,d evaluations (%,.0f evaluations/s of sink CPU); at 30,000 events/s the rules"
            + " take %.1f%% of one core; alerts now: %d%n",
        round,
        events,
        wall / 1e9,
        events / (wall / 1e9),
        ownerCpu / 1e9,
        sinkSeconds,
        100.0 * sinkNanos.get() / ownerCpu,
        nsPerEvent,
        evaluations,
        evaluations / sinkSeconds,
        30_000 * nsPerEvent / 1e7,
        alerts.alerts().size());
    alerts.close();
    owner.close();
  }

  private static final List<String> STATUSES = List.of("online", "idle", "busy", "offline");

  private static Event event(Random rnd, int i, Instant now) {
    int kind = rnd.nextInt(100);
    JsonObject p;
    String subject;
    if (kind < 45) {
      String node = "node-" + rnd.nextInt(60);
      subject = "node.metrics." + node;
      p =
          new JsonObject()
              .put("node_id", node)
              .put("cpu", rnd.nextDouble())
              .put("gpu", rnd.nextDouble())
              .put("ram", rnd.nextDouble() * 0.9)
              .put("temperature", 40 + rnd.nextDouble() * 50);
    } else if (kind < 85) {
      subject = "usage.llm";
      p =
          new JsonObject()
              .put("event_id", "e" + i)
              .put("agent_id", "agent:a" + rnd.nextInt(200))
              .put("model", "m")
              .put("total_tokens", 100)
              .put("latency_ms", 300)
              .put("success", rnd.nextInt(50) != 0);
    } else if (kind < 90) {
      subject = "agent.event.status";
      p =
          new JsonObject()
              .put("agent_id", "agent:a" + rnd.nextInt(200))
              .put("status", STATUSES.get(rnd.nextInt(STATUSES.size())));
    } else {
      subject = "messaging.message.created";
      p =
          new JsonObject()
              .put("channel_id", "c" + rnd.nextInt(24))
              .put("message_id", "m" + i)
              .put("sender_id", "agent:a" + rnd.nextInt(200))
              .put("sender_type", "agent");
    }
    return Event.incoming(subject, p, now, null, null);
  }
}
