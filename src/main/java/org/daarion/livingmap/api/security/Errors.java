package org.daarion.livingmap.api.security;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/** The API's JSON error shape ({@code api.http.Responses.error}): error, detail, time. */
final class Errors {
  private Errors() {}

  static JsonObject body(String code, String detail) {
    return new JsonObject()
        .put("error", code)
        .put("detail", detail)
        .put("time", Instant.now().toString());
  }

  static void send(RoutingContext ctx, int status, String code, String detail) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .end(body(code, detail).toBuffer());
  }

  static void auth(RoutingContext ctx, AuthException e) {
    if (e.status() == 401 && !ctx.response().headWritten()) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"living-map\"");
    }
    send(ctx, e.status(), e.code(), e.getMessage());
  }
}
