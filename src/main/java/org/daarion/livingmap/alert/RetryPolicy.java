package org.daarion.livingmap.alert;

import java.time.Duration;

/**
 * How a notification is retried: attempt {@code n} (from 1) that fails waits {@code min(baseDelay *
 * 2^(n-1), maxDelay)} before attempt {@code n+1}; after {@code maxAttempts} the delivery goes to
 * the dead-letter list. A failure is a transport error, a timeout or an HTTP status outside 2xx.
 */
public record RetryPolicy(
    int maxAttempts, Duration baseDelay, Duration maxDelay, Duration timeout) {
  /** 6 attempts over about a minute: 1 s, 2 s, 4 s, 8 s, 16 s between them. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(6, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(10));

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
  }

  long delayMillis(int failedAttempt) {
    long base = baseDelay.toMillis();
    long d = base << Math.min(30, Math.max(0, failedAttempt - 1));
    return Math.max(1, Math.min(d < 0 ? Long.MAX_VALUE : d, maxDelay.toMillis()));
  }
}
