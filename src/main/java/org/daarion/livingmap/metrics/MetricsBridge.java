package org.daarion.livingmap.metrics;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.history.HistoryWriter;
import org.daarion.livingmap.source.upstream.SourceStatus;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.stream.StreamStats;

/**
 * Feeds the components' own counters into {@link Metrics}. The components count with plain atomics
 * on their hot paths; once a second this bridge turns their growth into the Prometheus counters and
 * reads their levels as gauges, so no hot path knows about Micrometer.
 */
public final class MetricsBridge implements AutoCloseable {
  private final Vertx vertx;
  private final long timer;

  private MetricsBridge(Vertx vertx, long timer) {
    this.vertx = vertx;
    this.timer = timer;
  }

  /** Registers the gauges and starts sampling the counters every second. */
  public static MetricsBridge start(
      Vertx vertx,
      Metrics metrics,
      Clock clock,
      EventIntake intake,
      HistoryWriter writer,
      StreamStats stream,
      Supplier<UpstreamPoller> poller,
      AlertGauges alerts) {
    metrics.wsConnections(stream::connections);
    metrics.historyQueueDepth(writer::queueDepth);
    metrics.alertsFiring(alerts::firingCount);
    metrics.alertEvaluation(alerts::evaluationNanos);
    metrics.historyWriterBusy(writer::busyNanos);
    for (UpstreamSource s : UpstreamSource.values()) {
      metrics.sourceUp(
          s.serviceName(),
          () -> {
            SourceStatus st = status(poller, s);
            return st != null
                && (st.state() == SourceStatus.State.OK
                    || st.state() == SourceStatus.State.DEGRADED);
          });
      metrics.sourceStaleness(
          s.serviceName(),
          () -> {
            SourceStatus st = status(poller, s);
            Long age = st == null ? null : st.dataAgeSeconds(clock.instant());
            return age == null ? 0 : age;
          });
    }
    Delta accepted = new Delta(intake::acceptedCount);
    Delta rejected = new Delta(intake::rejectedCount);
    Delta overBudget = new Delta(intake::overBudgetCount);
    Delta sent = new Delta(stream::framesSent);
    Delta compressed = new Delta(stream::framesDeflated);
    Delta resyncs = new Delta(stream::resyncs);
    Delta connects = new Delta(stream::connectionsTotal);
    Delta overflows = new Delta(stream::overflows);
    Delta batches = new Delta(writer::batchesWritten);
    Delta rows = new Delta(writer::rowsWritten);
    long id =
        vertx.setPeriodic(
            1000,
            t -> {
              metrics.ingested("intake", accepted.next());
              long full = overBudget.next();
              long bad = rejected.next() - full;
              for (long i = 0; i < bad; i++) {
                metrics.ingestRejected("validation");
              }
              for (long i = 0; i < full; i++) {
                metrics.ingestRejected("memory_budget");
              }
              metrics.wsMessagesSent(sent.next());
              metrics.wsMessagesCompressed(compressed.next());
              for (long i = resyncs.next(); i > 0; i--) {
                metrics.wsResync();
              }
              for (long i = connects.next(); i > 0; i--) {
                metrics.wsConnected();
              }
              for (long i = overflows.next(); i > 0; i--) {
                metrics.wsDrop("slow_consumer");
              }
              long b = batches.next();
              long r = rows.next();
              if (b > 0) {
                // One observation per sampled period: the mean batch over the period.
                metrics.historyBatch((int) (r / b), Duration.ofMillis(writer.lastBatchLatencyMs()));
              }
            });
    return new MetricsBridge(vertx, id);
  }

  private static SourceStatus status(Supplier<UpstreamPoller> poller, UpstreamSource s) {
    UpstreamPoller p = poller.get();
    if (p == null) {
      return null;
    }
    Map<UpstreamSource, SourceStatus> all = p.statuses();
    return all.get(s);
  }

  /** The growth of a monotonic counter since the last call. */
  private static final class Delta {
    private final LongSupplier counter;
    private long last;

    Delta(LongSupplier counter) {
      this.counter = counter;
      this.last = counter.getAsLong();
    }

    long next() {
      long now = counter.getAsLong();
      long d = Math.max(0, now - last);
      last = now;
      return d;
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}
