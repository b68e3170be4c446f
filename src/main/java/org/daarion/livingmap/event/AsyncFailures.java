package org.daarion.livingmap.event;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Failures of work that runs on its own thread with no caller to tell (the state owner's loop, an
 * observer, a sink): each is counted by where it happened ({@code living_map_async_failures_total
 * {where}}) and logged with its stack trace once per place and interval, so that a sink failing on
 * every event neither goes unseen nor floods the log.
 */
public final class AsyncFailures {
  /** Log at most one failure per place this often; the count says how many there were. */
  static final Duration LOG_EVERY = Duration.ofMinutes(1);

  private final Logger log;
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Map<String, Long> loggedAtNanos = new ConcurrentHashMap<>();

  public AsyncFailures(Logger log) {
    this.log = log;
  }

  /** Counts a failure at {@code where} and logs it unless one there was logged recently. */
  public void record(String where, String what, Throwable failure) {
    long n = counts.computeIfAbsent(where, w -> new AtomicLong()).incrementAndGet();
    long now = System.nanoTime();
    Long last = loggedAtNanos.get(where);
    if (last == null || now - last >= LOG_EVERY.toNanos()) {
      loggedAtNanos.put(where, now);
      log.error(
          "{} failed ({}; {} so far at {}, logged at most once a minute)",
          where,
          what,
          n,
          where,
          failure);
    }
  }

  /** Failures so far, by place (a copy). */
  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Failures so far at {@code where}. */
  public long count(String where) {
    AtomicLong c = counts.get(where);
    return c == null ? 0 : c.get();
  }
}
