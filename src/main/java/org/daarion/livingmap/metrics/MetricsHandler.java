package org.daarion.livingmap.metrics;

import io.vertx.core.Handler;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;

/**
 * Times every HTTP request, installed first on the router. The {@code route} label is the template
 * of the route that answered ({@code /living-map/entities/:id}), never the raw path, so the number
 * of series stays bounded: requests answered by catch-alls are {@code static} (the UI's files) or
 * {@code unmatched}, and those answered before any route ({@code CORS}, auth, rate limit) {@code
 * /living-map/*}-level are labelled by the handler chain's route, or {@code other}.
 */
public final class MetricsHandler implements Handler<RoutingContext> {
  private final Metrics metrics;

  public MetricsHandler(Metrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addHeadersEndHandler(v -> ctx.put("living-map.route", routeLabel(ctx.currentRoute())));
    ctx.addEndHandler(
        v -> {
          String route = ctx.get("living-map.route");
          metrics.httpRequest(
              ctx.request().method().name(),
              route == null ? "other" : route,
              ctx.response().getStatusCode(),
              System.nanoTime() - start);
        });
    ctx.next();
  }

  static String routeLabel(Route route) {
    if (route == null) {
      return "other";
    }
    String path = route.getPath();
    if (path == null) {
      // a route for every path (the front handlers: CORS, auth, limits) or a regex route
      return route.isRegexPath() ? "regex" : "other";
    }
    if (path.indexOf(':') >= 0) {
      return path; // a template with parameters: /living-map/entities/:id
    }
    if (path.equals("/") && !route.isExactPath()) {
      return "static";
    }
    if (!route.isExactPath()) {
      return path.endsWith("/") ? path + "*" : path;
    }
    return path;
  }
}
