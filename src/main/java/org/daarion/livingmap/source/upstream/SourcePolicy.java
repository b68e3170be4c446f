package org.daarion.livingmap.source.upstream;

import java.time.Duration;

/**
 * How hard Living Map tries one upstream source, and when it gives up on it for a while.
 *
 * <p>Every HTTP request of a poll gets {@code timeout} (a hard deadline for the whole exchange) and
 * up to {@code maxAttempts} tries; only transient failures are retried (timeout, connection
 * failure, HTTP 5xx, 408, 429), after an exponential backoff with jitter ({@code backoff} times
 * {@code backoffMultiplier}^n, each randomised by {@code jitter}, at most {@code maxBackoff}). A
 * 404, a 401 or a body of the wrong shape is not retried.
 *
 * <p>One circuit breaker per source counts whole polls: once at least {@code breakerMinCalls} of
 * the last {@code breakerWindow} polls were recorded and {@code breakerFailureRate} percent of them
 * failed, the circuit opens and polls of that source are skipped for {@code breakerOpenFor}; then a
 * single trial poll decides whether it closes again. A 401 is not counted (it is a configuration
 * problem, shown in the source status, not an overload).
 *
 * @param specRetryEvery after falling back from a spec path that answered 404, ask the spec path
 *     again every this many polls (the upstream may have been upgraded)
 * @param detailConcurrency how many per-entity detail requests of one poll run at once (dao-service
 *     {@code /dao/{slug}})
 */
public record SourcePolicy(
    Duration timeout,
    int maxAttempts,
    Duration backoff,
    double backoffMultiplier,
    double jitter,
    Duration maxBackoff,
    int breakerWindow,
    int breakerMinCalls,
    float breakerFailureRate,
    Duration breakerOpenFor,
    int specRetryEvery,
    int detailConcurrency) {

  /** Three tries: a blip is absorbed within one poll, a dead service costs about 3 timeouts. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  /** First backoff; short next to a 30 s poll interval. */
  public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(250);

  /** Open after 3 of the last 5 polls failed (at least 3 recorded): about 90 s of a dead source. */
  public static final int DEFAULT_BREAKER_WINDOW = 5;

  public static final int DEFAULT_BREAKER_MIN_CALLS = 3;
  public static final float DEFAULT_BREAKER_FAILURE_RATE = 50f;

  /** Two poll intervals of rest for a failing service before one trial poll. */
  public static final Duration DEFAULT_BREAKER_OPEN_FOR = Duration.ofSeconds(60);

  /** Every 20 polls (10 minutes at 30 s) the spec path is tried again. */
  public static final int DEFAULT_SPEC_RETRY_EVERY = 20;

  /** At most 4 detail requests of one poll at once, so a poll never floods a service. */
  public static final int DEFAULT_DETAIL_CONCURRENCY = 4;

  public SourcePolicy {
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (backoffMultiplier < 1.0) {
      throw new IllegalArgumentException("backoffMultiplier must be at least 1");
    }
    if (jitter < 0 || jitter >= 1) {
      throw new IllegalArgumentException("jitter must be in [0, 1)");
    }
    if (breakerWindow < 1 || breakerMinCalls < 1 || breakerMinCalls > breakerWindow) {
      throw new IllegalArgumentException("need 1 <= breakerMinCalls <= breakerWindow");
    }
    if (!(breakerFailureRate > 0 && breakerFailureRate <= 100)) {
      throw new IllegalArgumentException("breakerFailureRate must be in (0, 100]");
    }
    if (specRetryEvery < 1 || detailConcurrency < 1) {
      throw new IllegalArgumentException("specRetryEvery and detailConcurrency must be positive");
    }
  }

  /**
   * The defaults above with the given per-request timeout ({@code LIVING_MAP_UPSTREAM_TIMEOUT}).
   */
  public static SourcePolicy defaults(Duration timeout) {
    return new SourcePolicy(
        timeout,
        DEFAULT_MAX_ATTEMPTS,
        DEFAULT_BACKOFF,
        2.0,
        0.5,
        Duration.ofSeconds(5),
        DEFAULT_BREAKER_WINDOW,
        DEFAULT_BREAKER_MIN_CALLS,
        DEFAULT_BREAKER_FAILURE_RATE,
        DEFAULT_BREAKER_OPEN_FOR,
        DEFAULT_SPEC_RETRY_EVERY,
        DEFAULT_DETAIL_CONCURRENCY);
  }

  /**
   * This policy with the configured overrides ({@code LIVING_MAP_UPSTREAM_POLICY}) applied; a null
   * field of {@code o} keeps this policy's value.
   *
   * @throws IllegalArgumentException when the result is not a valid policy
   */
  public SourcePolicy with(org.daarion.livingmap.config.UpstreamPolicy o) {
    return new SourcePolicy(
        o.timeout() != null ? o.timeout() : timeout,
        o.attempts() != null ? o.attempts() : maxAttempts,
        o.backoff() != null ? o.backoff() : backoff,
        backoffMultiplier,
        jitter,
        o.maxBackoff() != null ? o.maxBackoff() : maxBackoff,
        o.breakerWindow() != null ? o.breakerWindow() : breakerWindow,
        o.breakerMinCalls() != null
            ? o.breakerMinCalls()
            : Math.min(
                breakerMinCalls, o.breakerWindow() != null ? o.breakerWindow() : breakerWindow),
        o.breakerFailureRate() != null ? o.breakerFailureRate() : breakerFailureRate,
        o.breakerOpenFor() != null ? o.breakerOpenFor() : breakerOpenFor,
        specRetryEvery,
        detailConcurrency);
  }

  /** The policy of {@code source} from the configuration: the defaults, then its overrides. */
  public static SourcePolicy of(
      org.daarion.livingmap.config.Config config,
      org.daarion.livingmap.config.UpstreamSource source) {
    return defaults(config.upstreamTimeout)
        .with(
            config.upstreamPolicies.getOrDefault(
                source, org.daarion.livingmap.config.UpstreamPolicy.DEFAULTS));
  }

  public SourcePolicy withTimeout(Duration t) {
    return new SourcePolicy(
        t,
        maxAttempts,
        backoff,
        backoffMultiplier,
        jitter,
        maxBackoff,
        breakerWindow,
        breakerMinCalls,
        breakerFailureRate,
        breakerOpenFor,
        specRetryEvery,
        detailConcurrency);
  }

  public SourcePolicy withRetries(int attempts, Duration firstBackoff) {
    return new SourcePolicy(
        timeout,
        attempts,
        firstBackoff,
        backoffMultiplier,
        jitter,
        maxBackoff,
        breakerWindow,
        breakerMinCalls,
        breakerFailureRate,
        breakerOpenFor,
        specRetryEvery,
        detailConcurrency);
  }

  public SourcePolicy withBreaker(int window, int minCalls, float failureRate, Duration openFor) {
    return new SourcePolicy(
        timeout,
        maxAttempts,
        backoff,
        backoffMultiplier,
        jitter,
        maxBackoff,
        window,
        minCalls,
        failureRate,
        openFor,
        specRetryEvery,
        detailConcurrency);
  }

  public SourcePolicy withSpecRetryEvery(int polls) {
    return new SourcePolicy(
        timeout,
        maxAttempts,
        backoff,
        backoffMultiplier,
        jitter,
        maxBackoff,
        breakerWindow,
        breakerMinCalls,
        breakerFailureRate,
        breakerOpenFor,
        polls,
        detailConcurrency);
  }
}
