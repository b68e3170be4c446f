package org.daarion.livingmap.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.api.security.Principal;

/**
 * {@code GET /living-map/health} in the contract's shape plus per-dependency checks (the checks
 * only for callers with the read role: with auth on, a caller without credentials gets {@code
 * status, service, version, time} as the original service answered); {@code
 * /living-map/health/live} (the process answers) and {@code /living-map/health/ready} (critical
 * dependencies are up) for orchestrators.
 */
public final class HealthRoutes implements RouteGroup {
  private final String version;
  private final List<HealthCheck> checks;
  private final Clock clock;

  public HealthRoutes(String version, List<HealthCheck> checks, Clock clock) {
    this.version = version;
    this.checks = List.copyOf(checks);
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/health").handler(this::health);
    router.get("/living-map/health/live").handler(this::live);
    router.get("/living-map/health/ready").handler(this::ready);
  }

  private void health(RoutingContext ctx) {
    JsonObject results = new JsonObject();
    boolean allOk = true;
    for (HealthCheck c : checks) {
      JsonObject r = safeCheck(c);
      results.put(c.name(), r);
      allOk &= "ok".equals(r.getString("status"));
    }
    JsonObject body =
        new JsonObject()
            .put("status", allOk ? "ok" : "degraded")
            .put("service", "living-map-service")
            .put("version", version)
            .put("time", clock.instant().toString());
    Principal caller = Principal.of(ctx);
    if (caller == null || caller.hasRole(Principal.READ)) {
      body.put("checks", results);
    }
    // Else the original's answer, for probes without credentials: whether the service is up,
    // not what its dependencies are (addresses, errors and counts are for operators).
    Responses.json(ctx, 200, body);
  }

  private void live(RoutingContext ctx) {
    Responses.json(
        ctx, 200, new JsonObject().put("status", "ok").put("time", clock.instant().toString()));
  }

  private void ready(RoutingContext ctx) {
    JsonObject failing = new JsonObject();
    for (HealthCheck c : checks) {
      if (c.critical()) {
        JsonObject r = safeCheck(c);
        if ("down".equals(r.getString("status"))) {
          failing.put(c.name(), r);
        }
      }
    }
    boolean ready = failing.isEmpty();
    Responses.json(
        ctx,
        ready ? 200 : 503,
        new JsonObject()
            .put("status", ready ? "ready" : "not_ready")
            .put("failing", failing)
            .put("time", clock.instant().toString()));
  }

  private static JsonObject safeCheck(HealthCheck c) {
    try {
      return c.check();
    } catch (RuntimeException e) {
      return new JsonObject().put("status", "down").put("error", e.toString());
    }
  }
}
