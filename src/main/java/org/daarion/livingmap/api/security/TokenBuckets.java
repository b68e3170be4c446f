package org.daarion.livingmap.api.security;

import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.daarion.livingmap.config.Config;

/**
 * One token bucket per client key, all with the same rate and burst. Memory is bounded: at most
 * {@code maxClients} buckets are kept; a full bucket is indistinguishable from a new one, so idle
 * clients are dropped by {@link #evictIdle} (the owner calls it periodically) and, when the bound
 * is reached, before a new client is added; if every bucket is busy the least recently used are
 * dropped. Thread-safe: each bucket is locked for the few nanoseconds of a take.
 */
public final class TokenBuckets {
  private final double perNano;
  private final double burst;
  private final int maxClients;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long refilledAt;
    volatile long usedAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
      this.usedAt = now;
    }
  }

  public TokenBuckets(Config.Rate rate, int maxClients, LongSupplier nanoTime) {
    this.perNano = rate.perSecond() / 1e9;
    this.burst = rate.burst();
    this.maxClients = maxClients;
    this.nanoTime = nanoTime;
  }

  /**
   * Takes one token for {@code client}. Returns 0 when granted, otherwise the nanoseconds until a
   * token will be available (the caller answers 429 with {@code Retry-After}).
   */
  public long take(String client) {
    long now = nanoTime.getAsLong();
    Bucket b = buckets.get(client);
    if (b == null) {
      if (buckets.size() >= maxClients) {
        makeRoom(now);
      }
      b = buckets.computeIfAbsent(client, k -> new Bucket(burst, now));
    }
    synchronized (b) {
      refill(b, now);
      b.usedAt = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - b.tokens) / perNano);
    }
  }

  private void refill(Bucket b, long now) {
    long elapsed = now - b.refilledAt;
    if (elapsed > 0) {
      b.tokens = Math.min(burst, b.tokens + elapsed * perNano);
      b.refilledAt = now;
    }
  }

  /** Drops buckets that have refilled completely (their clients have been idle). */
  public int evictIdle() {
    long now = nanoTime.getAsLong();
    int before = buckets.size();
    buckets
        .entrySet()
        .removeIf(
            e -> {
              Bucket b = e.getValue();
              synchronized (b) {
                refill(b, now);
                return b.tokens >= burst;
              }
            });
    return before - buckets.size();
  }

  private synchronized void makeRoom(long now) {
    if (buckets.size() < maxClients) {
      return;
    }
    evictIdle();
    int excess = buckets.size() - maxClients + Math.max(1, maxClients / 10);
    if (excess > 0 && buckets.size() >= maxClients) {
      buckets.entrySet().stream()
          .sorted(Comparator.comparingLong(e -> e.getValue().usedAt))
          .limit(excess)
          .map(Map.Entry::getKey)
          .toList()
          .forEach(buckets::remove);
    }
  }

  /** Clients currently tracked. */
  public int size() {
    return buckets.size();
  }
}
