package org.daarion.livingmap.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/** JSON responses and the error shape every route shares (the alert routes too). */
public final class Responses {
  private Responses() {}

  /**
   * Continues on the request's own event loop once {@code stage} completes, whichever thread
   * completes it (the state owner, a database worker).
   */
  static <T> void whenDone(
      RoutingContext ctx, CompletionStage<T> stage, BiConsumer<T, Throwable> then) {
    Context context = Vertx.currentContext();
    stage.whenComplete(
        (value, err) -> {
          if (context == null) {
            then.accept(value, err);
          } else {
            context.runOnContext(v -> then.accept(value, err));
          }
        });
  }

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    bytes(ctx, status, body.toBuffer());
  }

  static void bytes(RoutingContext ctx, int status, Buffer body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(body);
  }

  /** {@code {"error": code, "detail": message, "parameter"?: name, "time": ISO}}. */
  public static JsonObject error(String code, String detail) {
    return new JsonObject()
        .put("error", code)
        .put("detail", detail)
        .put("time", Instant.now().toString());
  }

  public static void badParameter(RoutingContext ctx, BadParameter e) {
    json(ctx, 400, error("bad_parameter", e.getMessage()).put("parameter", e.parameter()));
  }

  static void notFound(RoutingContext ctx, String detail) {
    json(ctx, 404, error("not_found", detail));
  }

  /**
   * Why an asynchronous part failed, in words a client may read: a busy pool or a timeout says so;
   * anything else (a database error with PostgreSQL's own text, a bug) only that it failed.
   */
  static String safeReason(Throwable err) {
    Throwable cause = err;
    while ((cause instanceof java.util.concurrent.CompletionException
            || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof java.util.concurrent.RejectedExecutionException) {
      return "busy; try again";
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return "timed out";
    }
    return "failed (" + cause.getClass().getSimpleName() + "); see the service log";
  }

  static void unavailable(RoutingContext ctx, String detail) {
    json(ctx, 503, error("unavailable", detail));
  }
}
