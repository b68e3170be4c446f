package org.daarion.livingmap.config;

import java.time.Duration;

/**
 * Overrides of one upstream source's resilience policy, from {@code LIVING_MAP_UPSTREAM_POLICY}
 * ({@link Settings#UPSTREAM_POLICY}). A null field keeps the built-in default (see {@code
 * SourcePolicy}); {@code timeout} defaults to {@code LIVING_MAP_UPSTREAM_TIMEOUT}.
 *
 * @param timeout deadline of one request
 * @param attempts tries per request (1 = no retry)
 * @param backoff first backoff before a retry (doubled each time, jittered)
 * @param maxBackoff longest backoff
 * @param breakerWindow polls the circuit breaker looks at
 * @param breakerMinCalls polls recorded before the breaker may open
 * @param breakerFailureRate percentage of failed polls in the window that opens the circuit
 * @param breakerOpenFor how long polls are skipped once the circuit is open
 */
public record UpstreamPolicy(
    Duration timeout,
    Integer attempts,
    Duration backoff,
    Duration maxBackoff,
    Integer breakerWindow,
    Integer breakerMinCalls,
    Float breakerFailureRate,
    Duration breakerOpenFor) {

  /** No override: every default applies. */
  public static final UpstreamPolicy DEFAULTS =
      new UpstreamPolicy(null, null, null, null, null, null, null, null);

  /** The keys {@code LIVING_MAP_UPSTREAM_POLICY} accepts. */
  public static final java.util.List<String> KEYS =
      java.util.List.of(
          "timeout",
          "attempts",
          "backoff",
          "max_backoff",
          "breaker_window",
          "breaker_min_calls",
          "breaker_failure_rate",
          "breaker_open_for");

  /** This with the non-null fields of {@code o} replacing its own. */
  public UpstreamPolicy overriddenBy(UpstreamPolicy o) {
    return new UpstreamPolicy(
        o.timeout != null ? o.timeout : timeout,
        o.attempts != null ? o.attempts : attempts,
        o.backoff != null ? o.backoff : backoff,
        o.maxBackoff != null ? o.maxBackoff : maxBackoff,
        o.breakerWindow != null ? o.breakerWindow : breakerWindow,
        o.breakerMinCalls != null ? o.breakerMinCalls : breakerMinCalls,
        o.breakerFailureRate != null ? o.breakerFailureRate : breakerFailureRate,
        o.breakerOpenFor != null ? o.breakerOpenFor : breakerOpenFor);
  }
}
