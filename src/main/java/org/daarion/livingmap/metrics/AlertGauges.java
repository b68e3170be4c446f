package org.daarion.livingmap.metrics;

/**
 * The alert engine's levels as {@link MetricsBridge} reads them. Implemented by {@code
 * alert.AlertService}: alerts depend on metrics, never the other way round (metrics sits below the
 * HTTP kit, which alert routes use). Called from the Prometheus scrape, on any thread.
 */
public interface AlertGauges {
  /** Alerts currently in state {@code firing}. */
  long firingCount();

  /** Total nanoseconds spent evaluating rules since start. */
  long evaluationNanos();
}
