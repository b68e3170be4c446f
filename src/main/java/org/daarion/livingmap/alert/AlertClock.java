package org.daarion.livingmap.alert;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert clock: one tick every interval (at least 10 ms) on a daemon thread, {@code
 * alert-clock}, that only hands over to the state owner. A tick still in flight is skipped, not
 * queued, so a slow owner never builds a backlog of ticks.
 */
final class AlertClock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlertClock.class);

  private final AtomicBoolean tickInFlight = new AtomicBoolean();
  private final ScheduledExecutorService ticker;

  /** Starts ticking; {@code tick} completes when the owner has applied the tick. */
  AlertClock(Duration interval, Supplier<CompletableFuture<Void>> tick) {
    ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "alert-clock");
              t.setDaemon(true);
              return t;
            });
    long ms = Math.max(10, interval.toMillis());
    ticker.scheduleWithFixedDelay(
        () -> {
          if (!tickInFlight.compareAndSet(false, true)) {
            return;
          }
          try {
            tick.get().whenComplete((v, err) -> tickInFlight.set(false));
          } catch (RuntimeException e) {
            tickInFlight.set(false);
            log.error("alert tick failed", e);
          }
        },
        ms,
        ms,
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
