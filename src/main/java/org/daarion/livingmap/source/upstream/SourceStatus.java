package org.daarion.livingmap.source.upstream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * How one upstream source is doing, as {@code GET /living-map/sources} and {@code meta.sources}
 * show it. Immutable; the poller replaces it when a poll of the source finishes.
 *
 * @param url the base URL polled
 * @param state see {@link State}
 * @param lastSuccess when a poll last succeeded (its data is what the map shows), or null
 * @param lastAttempt when a poll last finished or was skipped, or null
 * @param lastError the message of the last failure (kept after recovery, with its time), or null
 * @param latencyMs how long the last poll took, retries included, or null
 * @param consecutiveFailures failed polls since the last success
 * @param paths the paths that answered the last successful poll
 * @param fallback whether a real-DAARION path served instead of the spec path
 * @param problems what failed inside the last successful poll (partial data)
 * @param entities entities the last successful poll reported
 */
public record SourceStatus(
    String service,
    String url,
    State state,
    Instant lastSuccess,
    Instant lastAttempt,
    String lastError,
    Instant lastErrorAt,
    Long latencyMs,
    int consecutiveFailures,
    List<String> paths,
    boolean fallback,
    List<String> problems,
    String circuit,
    long pollsOk,
    long pollsFailed,
    int entities) {

  /** The state of a source. */
  public enum State {
    /** Not polled yet. */
    PENDING,
    /** The last poll answered completely, first time. */
    OK,
    /** The last poll succeeded, but only after retries or with parts missing. */
    DEGRADED,
    /** The last poll failed; the map keeps the source's last good data. */
    DOWN,
    /** The circuit breaker is open: polls are skipped for a while; last good data kept. */
    OPEN_CIRCUIT;

    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public SourceStatus {
    paths = List.copyOf(paths);
    problems = List.copyOf(problems);
  }

  static SourceStatus pending(String service, String url) {
    return new SourceStatus(
        service,
        url,
        State.PENDING,
        null,
        null,
        null,
        null,
        null,
        0,
        List.of(),
        false,
        List.of(),
        "closed",
        0,
        0,
        0);
  }

  /** Whether the map's data from this source may be out of date. */
  public boolean stale() {
    return state != State.OK && state != State.DEGRADED;
  }

  /** Seconds since the last success at {@code now}, or null when it never succeeded. */
  public Long dataAgeSeconds(Instant now) {
    return lastSuccess == null ? null : Math.max(0, Duration.between(lastSuccess, now).toSeconds());
  }

  SourceStatus succeeded(Fetched f, Instant at, long latency, String circuitState) {
    return succeeded(f, at, latency, circuitState, null);
  }

  /**
   * @param retried the last failure a retry absorbed during this poll, or null: a poll degraded by
   *     retries says what went wrong in {@code last_error}
   */
  SourceStatus succeeded(Fetched f, Instant at, long latency, String circuitState, String retried) {
    boolean degraded = f.retries() > 0 || !f.problems().isEmpty();
    String error = lastError;
    Instant errorAt = lastErrorAt;
    if (!f.problems().isEmpty()) {
      error = f.problems().get(0);
      errorAt = at;
    } else if (retried != null) {
      error = "succeeded after retry: " + retried;
      errorAt = at;
    }
    return new SourceStatus(
        service,
        url,
        degraded ? State.DEGRADED : State.OK,
        at,
        at,
        error,
        errorAt,
        latency,
        0,
        f.paths(),
        f.fallback(),
        f.problems(),
        circuitState,
        pollsOk + 1,
        pollsFailed,
        f.poll().patches().size());
  }

  SourceStatus failed(String error, Instant at, long latency, boolean open, String circuitState) {
    return new SourceStatus(
        service,
        url,
        open ? State.OPEN_CIRCUIT : State.DOWN,
        lastSuccess,
        at,
        error,
        at,
        latency,
        consecutiveFailures + 1,
        paths,
        fallback,
        problems,
        circuitState,
        pollsOk,
        pollsFailed + 1,
        entities);
  }

  SourceStatus skipped(Instant at) {
    return new SourceStatus(
        service,
        url,
        State.OPEN_CIRCUIT,
        lastSuccess,
        at,
        lastError,
        lastErrorAt,
        latencyMs,
        consecutiveFailures,
        paths,
        fallback,
        problems,
        "open",
        pollsOk,
        pollsFailed,
        entities);
  }

  /** The status as JSON, ages computed at {@code now}. */
  public JsonObject toJson(Instant now) {
    return new JsonObject()
        .put("service", service)
        .put("url", url)
        .put("state", state.json())
        .put("stale", stale())
        .put("last_success", lastSuccess == null ? null : lastSuccess.toString())
        .put("last_attempt", lastAttempt == null ? null : lastAttempt.toString())
        .put("last_error", lastError)
        .put("last_error_at", lastErrorAt == null ? null : lastErrorAt.toString())
        .put("latency_ms", latencyMs)
        .put("data_age_seconds", dataAgeSeconds(now))
        .put("consecutive_failures", consecutiveFailures)
        .put("path", paths.isEmpty() ? null : paths.get(0))
        .put("paths", new JsonArray(paths))
        .put("fallback", fallback)
        .put("problems", new JsonArray(problems))
        .put("circuit", circuit)
        .put("polls_ok", pollsOk)
        .put("polls_failed", pollsFailed)
        .put("entities", entities);
  }
}
