package org.daarion.livingmap.api.http;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import org.daarion.livingmap.visibility.Visibility;

/**
 * JSON responses and the error shape every route shares (the alert routes too).
 *
 * <p><b>The visibility door.</b> Every body written here passes the caller's {@link Visibility}
 * (put into the routing context by the security chain): for a caller with hidden layers the body is
 * decoded, references to hidden entities are dropped ({@link Visibility#redact}) and it is encoded
 * again; a body that as a whole is about a hidden entity becomes a 404. A route that prepares bytes
 * for the caller's class itself (the snapshot, once per version and class) hands them in with
 * {@link #prepared}, which checks the class instead of decoding. Routes never write bodies to the
 * response directly, so a new route cannot forget the filter.
 */
public final class Responses {
  private Responses() {}

  /**
   * Continues on the request's own event loop once {@code stage} completes, whichever thread
   * completes it (the state owner, a database worker).
   */
  public static <T> void whenDone(
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

  public static void bytes(RoutingContext ctx, int status, Buffer body) {
    Visibility v = Visibility.of(ctx);
    if (v.isFull()) {
      send(ctx, status, body);
    } else if (body.length() <= FILTER_ON_LOOP_BYTES || Vertx.currentContext() == null) {
      sendFiltered(ctx, status, filtered(ctx, v, body));
    } else {
      // decoding, redacting and encoding a large body takes milliseconds: not on the event loop
      ctx.vertx()
          .executeBlocking(() -> filtered(ctx, v, body), false)
          .onComplete(
              r ->
                  sendFiltered(
                      ctx,
                      status,
                      r.succeeded()
                          ? r.result()
                          : error("internal", "response withheld").toBuffer()));
    }
  }

  /** Bodies up to this size are filtered where they are sent (well under a millisecond). */
  private static final int FILTER_ON_LOOP_BYTES = 64 * 1024;

  private static void sendFiltered(RoutingContext ctx, int status, Buffer filtered) {
    if (filtered == null) {
      send(ctx, 404, error("not_found", "no such resource").toBuffer());
    } else {
      send(ctx, status, filtered);
    }
  }

  /**
   * Sends {@code body}, prepared for the visibility class {@code preparedFor}; when that is not the
   * caller's class the body goes through the filter like any other.
   */
  public static void prepared(RoutingContext ctx, int status, Buffer body, Visibility preparedFor) {
    if (preparedFor.key().equals(Visibility.of(ctx).key())) {
      send(ctx, status, body);
    } else {
      bytes(ctx, status, body);
    }
  }

  /**
   * Whether the caller takes gzip bytes prepared once for every caller ({@link #gzipped}): it
   * accepts gzip and sees everything (a filtered caller's body must be decoded anyway).
   */
  public static boolean takesPreparedGzip(RoutingContext ctx) {
    return Visibility.of(ctx).isFull()
        && PreparedResponses.acceptsGzip(ctx.request().getHeader("Accept-Encoding"));
  }

  /**
   * Sends the gzip bytes of a JSON body as they are, to a caller {@link #takesPreparedGzip} admits;
   * any other caller gets the body inflated and filtered like any other.
   */
  public static void gzipped(RoutingContext ctx, int status, Buffer gzip) {
    if (!takesPreparedGzip(ctx)) {
      bytes(ctx, status, gunzip(gzip));
      return;
    }
    // Content-Encoding set: the transport's compressor leaves the bytes alone
    ctx.response().putHeader("Content-Encoding", "gzip").putHeader("Vary", "Accept-Encoding");
    send(ctx, status, gzip);
  }

  private static Buffer gunzip(Buffer gzip) {
    try (var in =
        new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gzip.getBytes()))) {
      return Buffer.buffer(in.readAllBytes());
    } catch (java.io.IOException e) {
      return error("internal", "response withheld").toBuffer();
    }
  }

  /** {@code body} as {@code v} sees it; null when it is about a hidden entity. */
  private static Buffer filtered(RoutingContext ctx, Visibility v, Buffer body) {
    Object json;
    try {
      json = io.vertx.core.json.Json.decodeValue(body);
    } catch (io.vertx.core.json.DecodeException e) {
      // Not JSON: nothing here writes other bodies; refuse rather than pass unfiltered bytes.
      return error("internal", "response withheld").toBuffer();
    }
    if (json instanceof JsonObject o) {
      JsonObject r = v.redact(o);
      return r == null ? null : r == o ? body : r.toBuffer();
    }
    if (json instanceof io.vertx.core.json.JsonArray a) {
      io.vertx.core.json.JsonArray r = v.redact(a);
      return r == a ? body : r.toBuffer();
    }
    return body;
  }

  private static void send(RoutingContext ctx, int status, Buffer body) {
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

  public static void notFound(RoutingContext ctx, String detail) {
    json(ctx, 404, error("not_found", detail));
  }

  /**
   * Why an asynchronous part failed, in words a client may read: a busy pool or a timeout says so;
   * anything else (a database error with PostgreSQL's own text, a bug) only that it failed.
   */
  public static String safeReason(Throwable err) {
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

  /** 503 for a bounded queue that is full: the client may retry after {@code seconds}. */
  public static void busy(RoutingContext ctx, String detail, int seconds) {
    ctx.response().putHeader("Retry-After", Integer.toString(seconds));
    unavailable(ctx, detail);
  }

  public static void unavailable(RoutingContext ctx, String detail) {
    json(ctx, 503, error("unavailable", detail));
  }
}
