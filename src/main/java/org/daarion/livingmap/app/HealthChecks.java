package org.daarion.livingmap.app;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.function.Supplier;
import org.daarion.livingmap.api.HealthCheck;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.history.HistoryWriter;
import org.daarion.livingmap.source.nats.NatsIngest;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.StateOwner;

/**
 * The checks {@code /health} reports, one per part. A critical one that is down makes {@code
 * /health/ready} answer 503, so an orchestrator sends readers elsewhere.
 */
final class HealthChecks {
  private HealthChecks() {}

  static HealthCheck database(Database db) {
    return check(
        "database",
        true,
        () -> {
          Database.Health h = db.health();
          return new JsonObject()
              .put("status", h.up() ? "ok" : "down")
              .put("embedded", db.embedded())
              .put("latency_ms", h.latencyMs())
              .put("last_error", h.lastError());
        });
  }

  static HealthCheck writer(HistoryWriter writer) {
    return check(
        "history_writer",
        false,
        () -> {
          HistoryWriter.Status s = writer.status();
          return new JsonObject()
              .put("status", s.state() == HistoryWriter.State.OK ? "ok" : "degraded")
              .put("queue", s.queueDepth())
              .put("queue_capacity", s.queueCapacity())
              .put("rows_written", s.rowsWritten())
              .put("last_batch_size", s.lastBatchSize())
              .put("last_batch_latency_ms", s.lastBatchLatencyMs())
              .put("last_error", s.lastError());
        });
  }

  /** {@code restore}: how the state was loaded at start (from a snapshot, history, or not). */
  static HealthCheck state(LiveState state, StateOwner owner, JsonObject restore) {
    return check(
        "state",
        false,
        () ->
            new JsonObject()
                .put("status", "ok")
                .put("seq", state.seq())
                .put("epoch", state.epoch())
                .put("entities", state.size())
                .put("queue", owner.queueDepth())
                .put("reducer_errors", owner.reducerErrors())
                .put("reducer_rejected", owner.reducerRejectedCount())
                .put("upstream_oversized", owner.upstreamOversizedCount())
                .put("restore", restore));
  }

  static HealthCheck sources(UpstreamPoller poller) {
    return check(
        "sources",
        false,
        () ->
            new JsonObject()
                .put("status", poller.anyStale() ? "degraded" : "ok")
                .put("sources", poller.sourcesJson()));
  }

  /**
   * Critical: while NATS is away no event reaches the map, so an orchestrator should send readers
   * to a replica that has it ({@code /health/ready} answers 503 then).
   */
  static HealthCheck nats(NatsIngest nats) {
    return check(
        "nats",
        true,
        () -> {
          NatsIngest.State s = nats.state();
          return new JsonObject()
              .put("status", s.ready() ? "ok" : "down")
              .put("connection", s.status().wireName())
              .put("mode", s.mode().name().toLowerCase(Locale.ROOT))
              .put("received", s.received())
              .put("acked", s.acked())
              .put("slow_consumer_drops", s.slowConsumerDrops())
              .put("reconnects", s.reconnects())
              .put("last_error", s.lastError());
        });
  }

  static HealthCheck check(String name, boolean critical, Supplier<JsonObject> body) {
    return new HealthCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public JsonObject check() {
        return body.get();
      }

      @Override
      public boolean critical() {
        return critical;
      }
    };
  }
}
