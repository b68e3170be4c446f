package org.daarion.livingmap.api.security;

import io.vertx.core.http.HttpMethod;

/**
 * Which routes need what, decided on the normalised path (the same path the router matches, so
 * {@code ..} or {@code %2e} tricks cannot reach a route past its check):
 *
 * <ul>
 *   <li>{@link Access#OPEN}: the probes {@code /living-map/health/live} and {@code /ready}, the API
 *       description {@code /living-map/openapi.json} and {@code /living-map/docs}, the service root
 *       {@code /} and {@code /living-map}, the web UI's static files (everything outside {@code
 *       /living-map/} and {@code /metrics}), and {@code /metrics} when {@code
 *       LIVING_MAP_METRICS_OPEN=true};
 *   <li>{@link Access#PUBLIC}: {@code GET /living-map/health} and {@code GET /living-map/snapshot}
 *       (reduced for anonymous callers), anonymous only in public mode, otherwise as READ;
 *   <li>{@link Access#ADMIN}: {@code /living-map/admin/**} and every method other than GET, HEAD
 *       and OPTIONS (writes: alert acks, silences, forced polls);
 *   <li>{@link Access#READ}: everything else, including {@code /metrics} and the WebSocket upgrade
 *       {@code /living-map/stream}.
 * </ul>
 */
public final class AccessPolicy {
  /** The access a route needs. */
  public enum Access {
    OPEN,
    PUBLIC,
    READ,
    ADMIN
  }

  private final boolean metricsOpen;

  public AccessPolicy(boolean metricsOpen) {
    this.metricsOpen = metricsOpen;
  }

  public Access access(HttpMethod method, String normalizedPath) {
    String p = normalizedPath == null ? "/" : normalizedPath;
    if (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.equals("/metrics") || p.startsWith("/metrics/")) {
      return metricsOpen ? Access.OPEN : Access.READ;
    }
    if (!p.startsWith("/living-map/")) {
      return Access.OPEN; // "/", "/living-map", UI assets
    }
    switch (p) {
      case "/living-map/health/live",
          "/living-map/health/ready",
          "/living-map/openapi.json",
          "/living-map/docs" -> {
        return Access.OPEN;
      }
      default -> {}
    }
    boolean read =
        method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS;
    if (!read || p.equals("/living-map/admin") || p.startsWith("/living-map/admin/")) {
      return Access.ADMIN;
    }
    if (p.equals("/living-map/health") || p.equals("/living-map/snapshot")) {
      return Access.PUBLIC;
    }
    return Access.READ;
  }

  /** Paths exempt from rate limits: the orchestrator's probes. */
  public static boolean isProbe(String normalizedPath) {
    return "/living-map/health/live".equals(normalizedPath)
        || "/living-map/health/ready".equals(normalizedPath);
  }
}
