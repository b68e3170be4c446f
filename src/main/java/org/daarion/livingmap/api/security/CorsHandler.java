package org.daarion.livingmap.api.security;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.List;
import java.util.Set;

/**
 * CORS by allowlist. Same-origin requests (the UI, which browsers also give an {@code Origin} on
 * POST and WebSocket) pass untouched. An allowed origin gets {@code Access-Control-Allow-Origin}
 * (its own value, or {@code *} with the wildcard) and preflights are answered 204. A foreign
 * origin's preflight and WebSocket upgrade are refused with 403 JSON (browsers do not apply CORS to
 * WebSockets); its simple requests get no CORS headers, so the browser withholds the answer. No
 * credentials mode: tokens travel in headers, never cookies.
 */
public final class CorsHandler implements Handler<RoutingContext> {
  private static final String ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";
  private static final String ALLOWED_HEADERS =
      "Authorization, Content-Type, X-API-Key, If-None-Match, Last-Event-ID";
  private static final String EXPOSED_HEADERS = "ETag, Retry-After, Link";

  private final boolean any;
  private final Set<String> origins;

  public CorsHandler(List<String> origins) {
    this.any = origins.contains("*");
    this.origins = Set.copyOf(origins);
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String origin = req.getHeader(HttpHeaders.ORIGIN);
    if (origin == null || sameOrigin(origin, req.getHeader(HttpHeaders.HOST))) {
      ctx.next();
      return;
    }
    boolean preflight =
        req.method() == HttpMethod.OPTIONS
            && req.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null;
    boolean allowed = any || origins.contains(origin);
    if (!allowed) {
      if (preflight || Authenticator.isWebSocketUpgrade(req)) {
        Errors.send(
            ctx,
            403,
            "forbidden",
            "origin " + safe(origin) + " is not allowed (LIVING_MAP_CORS_ORIGINS)");
        return;
      }
      ctx.next();
      return;
    }
    ctx.response()
        .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, any ? "*" : origin)
        .putHeader(HttpHeaders.VARY, "Origin")
        .putHeader(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED_HEADERS);
    if (preflight) {
      ctx.response()
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS)
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS)
          .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600")
          .setStatusCode(204)
          .end();
      return;
    }
    ctx.next();
  }

  static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    try {
      URI u = new URI(origin);
      if (u.getHost() == null) {
        return false;
      }
      String authority = u.getPort() < 0 ? u.getHost() : u.getHost() + ":" + u.getPort();
      String h = host.toLowerCase(java.util.Locale.ROOT);
      String a = authority.toLowerCase(java.util.Locale.ROOT);
      if (h.equals(a)) {
        return true;
      }
      // Host without a default port vs origin with it, and the reverse.
      int defaultPort = "https".equals(u.getScheme()) ? 443 : 80;
      return h.equals(a + ":" + defaultPort)
          || (u.getPort() == defaultPort
              && h.equals(u.getHost().toLowerCase(java.util.Locale.ROOT)));
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  private static String safe(String s) {
    String t = s.length() > 100 ? s.substring(0, 100) : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
