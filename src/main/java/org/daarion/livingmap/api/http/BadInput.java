package org.daarion.livingmap.api.http;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts refused input by kind and logs it at most once per kind per interval, with how many came
 * since the last line: a client that sends the same bad request in a loop must not fill the log
 * (STYLE: report once, count always). Thread-safe; called on event loops.
 */
public final class BadInput {
  private static final Logger log = LoggerFactory.getLogger(BadInput.class);

  /** One log line per kind per this interval. */
  public static final Duration LOG_INTERVAL = Duration.ofMinutes(1);

  private final Metrics metrics;
  private final Clock clock;
  private final ConcurrentHashMap<String, Kind> kinds = new ConcurrentHashMap<>();

  private static final class Kind {
    final AtomicLong nextLogAt = new AtomicLong(Long.MIN_VALUE);
    final AtomicLong sinceLast = new AtomicLong();
    final AtomicLong total = new AtomicLong();
  }

  /** {@code metrics} may be null (servers built for tests without metrics). */
  public BadInput(Metrics metrics, Clock clock) {
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Counts one refusal of {@code kind}; logs {@code detail} when this kind's interval is up. */
  public void note(String kind, String detail) {
    Kind k = kinds.computeIfAbsent(kind, x -> new Kind());
    k.total.incrementAndGet();
    long since = k.sinceLast.incrementAndGet();
    if (metrics != null) {
      metrics.badRequest(kind);
    }
    long now = clock.millis();
    long next = k.nextLogAt.get();
    if (now >= next && k.nextLogAt.compareAndSet(next, now + LOG_INTERVAL.toMillis())) {
      k.sinceLast.addAndGet(-since);
      log.warn(
          "refused {} request: {} ({} of this kind since the last line; at most one line per {}s)",
          kind,
          detail,
          since,
          LOG_INTERVAL.toSeconds());
    }
  }

  /**
   * A request the server failed to answer (a 5xx): counted like refused input, and logged with its
   * stack trace at most once per interval, so a request that finds a bug cannot flood the log.
   */
  public void noteFailure(String kind, String detail, Throwable err) {
    Kind k = kinds.computeIfAbsent(kind, x -> new Kind());
    k.total.incrementAndGet();
    long since = k.sinceLast.incrementAndGet();
    if (metrics != null) {
      metrics.badRequest(kind);
    }
    long now = clock.millis();
    long next = k.nextLogAt.get();
    if (now >= next && k.nextLogAt.compareAndSet(next, now + LOG_INTERVAL.toMillis())) {
      k.sinceLast.addAndGet(-since);
      log.error("{} ({} since the last line)", detail, since, err);
    }
  }

  /** Refusals of {@code kind} since start. */
  public long count(String kind) {
    Kind k = kinds.get(kind);
    return k == null ? 0 : k.total.get();
  }
}
