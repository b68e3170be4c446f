package org.daarion.livingmap.api;

import io.vertx.core.json.JsonObject;

/**
 * One dependency's health for {@code /living-map/health}. {@link #check} runs on an event loop: it
 * must read state the component already keeps, never do I/O.
 */
public interface HealthCheck {
  String name();

  /** At least {@code {"status": "ok" | "degraded" | "down"}} plus whatever explains it. */
  JsonObject check();

  /** Whether this dependency being down makes the service not ready for traffic. */
  default boolean critical() {
    return false;
  }
}
