package org.daarion.livingmap.app;

import io.micrometer.core.instrument.FunctionCounter;
import java.util.Locale;
import org.daarion.livingmap.event.ByteBudget;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.RecentHistory;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.source.nats.NatsIngest;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.StateOwner;

/**
 * The gauges and counters the wiring binds to the parts it built (the rest comes from {@code
 * MetricsBridge}): the state's queue and size, every bounded queue's bytes, and where history pages
 * came from.
 */
final class ServiceMetrics {
  private ServiceMetrics() {}

  /** The places whose failures are counted; a sink's is named after its class. */
  private static final String[] ASYNC_PLACES = {
    "state_owner_loop",
    "event_observer",
    "sink_HistoryWriter",
    "sink_StreamHub",
    "sink_AlertService"
  };

  static void register(Metrics metrics, StateOwner owner, LiveState state, Storage storage) {
    metrics.stateQueueDepth(owner::queueDepth);
    budget(metrics, owner.queueBytes());
    budget(metrics, storage.writer.queueBytes());
    budget(metrics, storage.writer.rejectedBytes());
    history(metrics, storage.history, storage.recent);
    metrics.stateEntities(state::size);
    for (String where : ASYNC_PLACES) {
      FunctionCounter.builder("living_map_async_failures", owner, o -> o.failures().count(where))
          .description(
              "Failures of work no caller waits for: the state owner's loop, observers, sinks")
          .tag("where", where)
          .register(metrics.registry());
    }
    metrics.stateSeq(state::seq);
  }

  /** Which source answered history pages, and what the recent rows in memory hold. */
  private static void history(Metrics metrics, HistoryStore history, RecentHistory recent) {
    for (String source : new String[] {"memory", "database"}) {
      FunctionCounter.builder(
              "living_map_history_pages",
              history,
              h -> source.equals("memory") ? h.memoryPages() : h.databasePages())
          .description("GET /history pages answered, by where their rows came from")
          .tag("source", source)
          .register(metrics.registry());
    }
    if (recent != null) {
      String[] tags = {"budget", "history-memory", "policy", "evict"};
      metrics.gauge(
          "living_map_memory_used_bytes", "Bytes held by a bounded queue", recent::usedBytes, tags);
      metrics.gauge(
          "living_map_memory_limit_bytes", "The byte bound of that queue", recent::maxBytes, tags);
    }
  }

  /** A byte budget's level, bound and overflows, labelled with its name and overflow policy. */
  static void budget(Metrics metrics, ByteBudget b) {
    String[] tags = {"budget", b.name(), "policy", b.overflow().name().toLowerCase(Locale.ROOT)};
    metrics.gauge("living_map_memory_used_bytes", "Bytes held by a bounded queue", b::used, tags);
    metrics.gauge("living_map_memory_limit_bytes", "The byte bound of that queue", b::limit, tags);
    FunctionCounter.builder("living_map_memory_overflows", b, x -> x.refusedCount() + x.waitCount())
        .description(
            "Times a bounded queue was full (the producer waited, or the item was refused)")
        .tags(tags)
        .register(metrics.registry());
  }

  /**
   * Core NATS has no flow control: what the client drops never reaches the intake, so it can only
   * be counted (it stays 0 while the intake keeps up, see docs/OPERATIONS.md).
   */
  static void natsDropped(Metrics metrics, NatsIngest nats) {
    FunctionCounter.builder("living_map_nats_dropped", nats, NatsIngest::slowConsumerDrops)
        .description("NATS core messages the client dropped before the intake saw them")
        .tag("reason", "slow_consumer")
        .register(metrics.registry());
  }
}
