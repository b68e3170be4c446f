package org.daarion.livingmap.api.security;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.daarion.livingmap.config.Config;

/**
 * One token bucket per client key, all with the same rate and burst. The buckets are Bucket4j's
 * (lock-free, greedy refill); this class bounds how many it keeps: at most {@code maxClients}; a
 * full bucket is indistinguishable from a new one, so idle clients are dropped by {@link
 * #evictIdle} (the owner calls it periodically) and, when the bound is reached, before a new client
 * is added; if every bucket is busy the least recently used are dropped. Thread-safe.
 */
public final class TokenBuckets {
  private final long burst;
  private final Duration perToken;
  private final int maxClients;
  private final LongSupplier nanoTime;
  private final TimeMeter meter;
  private final Map<String, Entry> buckets = new ConcurrentHashMap<>();

  private static final class Entry {
    final Bucket bucket;
    volatile long usedAt;

    Entry(Bucket bucket, long now) {
      this.bucket = bucket;
      this.usedAt = now;
    }
  }

  public TokenBuckets(Config.Rate rate, int maxClients, LongSupplier nanoTime) {
    this.burst = Math.max(1, rate.burst());
    // One token per 1/rate seconds, added continuously (greedy): the same as rate tokens a second
    // for any rate, fractional ones included.
    this.perToken = Duration.ofNanos(Math.max(1, Math.round(1e9 / rate.perSecond())));
    this.maxClients = maxClients;
    this.nanoTime = nanoTime;
    this.meter =
        new TimeMeter() {
          @Override
          public long currentTimeNanos() {
            return nanoTime.getAsLong();
          }

          @Override
          public boolean isWallClockBased() {
            return false;
          }
        };
  }

  private Bucket newBucket() {
    return Bucket.builder()
        .addLimit(limit -> limit.capacity(burst).refillGreedy(1, perToken))
        .withCustomTimePrecision(meter)
        .build();
  }

  /**
   * Takes one token for {@code client}. Returns 0 when granted, otherwise the nanoseconds until a
   * token will be available (the caller answers 429 with {@code Retry-After}).
   */
  public long take(String client) {
    long now = nanoTime.getAsLong();
    Entry e = buckets.get(client);
    if (e == null) {
      if (buckets.size() >= maxClients) {
        makeRoom();
      }
      e = buckets.computeIfAbsent(client, k -> new Entry(newBucket(), now));
    }
    e.usedAt = now;
    ConsumptionProbe probe = e.bucket.tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
  }

  /** Drops buckets that have refilled completely (their clients have been idle). */
  public int evictIdle() {
    int before = buckets.size();
    buckets.entrySet().removeIf(en -> en.getValue().bucket.getAvailableTokens() >= burst);
    return before - buckets.size();
  }

  private synchronized void makeRoom() {
    if (buckets.size() < maxClients) {
      return;
    }
    evictIdle();
    int excess = buckets.size() - maxClients + Math.max(1, maxClients / 10);
    if (excess > 0 && buckets.size() >= maxClients) {
      buckets.entrySet().stream()
          .sorted(Comparator.comparingLong(en -> en.getValue().usedAt))
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
