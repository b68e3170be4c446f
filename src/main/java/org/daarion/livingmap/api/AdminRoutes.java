package org.daarion.livingmap.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.daarion.livingmap.api.http.BadParameter;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.EventIntake;

/**
 * Operational routes (role {@code living-map:admin} when auth is on): force an upstream poll or a
 * stored snapshot, and publish an event into the pipeline exactly as if it came from the bus
 * (validation and rejection included), for operators and end-to-end tests.
 */
public final class AdminRoutes implements RouteGroup {
  /** Largest body accepted by {@code POST /living-map/events}. */
  static final long MAX_EVENT_BODY = 1024 * 1024 + 4096;

  private final Supplier<CompletableFuture<?>> pollNow;
  private final Supplier<CompletableFuture<?>> snapshotNow;
  private final EventIntake intake;

  public AdminRoutes(
      Supplier<CompletableFuture<?>> pollNow,
      Supplier<CompletableFuture<?>> snapshotNow,
      EventIntake intake) {
    this.pollNow = pollNow;
    this.snapshotNow = snapshotNow;
    this.intake = intake;
  }

  @Override
  public void mount(Router router) {
    router.post("/living-map/admin/poll").handler(ctx -> done(ctx, pollNow.get(), "poll"));
    router
        .post("/living-map/admin/snapshot")
        .handler(ctx -> done(ctx, snapshotNow.get(), "snapshot"));
    router
        .post("/living-map/events")
        .handler(BodyHandler.create().setBodyLimit(MAX_EVENT_BODY))
        .handler(this::publish);
  }

  private static void done(RoutingContext ctx, CompletableFuture<?> f, String what) {
    Responses.whenDone(
        ctx,
        f,
        (v, err) -> {
          if (err != null) {
            Responses.unavailable(ctx, what + " failed: " + Responses.safeReason(err));
          } else {
            Responses.json(ctx, 202, new JsonObject().put("status", "done").put("operation", what));
          }
        });
  }

  /**
   * {@code {"event_type": subject, "payload": {...}}}. The event goes through the same intake as
   * the bus; a payload the intake rejects is kept in the rejected table and answered 202 too, with
   * {@code accepted: false}, since the pipeline, not the route, decides.
   */
  private void publish(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw new BadParameter("body", "body must be a JSON object {event_type, payload}");
    }
    if (body == null || body.getString("event_type") == null) {
      throw new BadParameter("event_type", "event_type (the NATS subject) is required");
    }
    Object payload = body.getValue("payload");
    String nonFinite = org.daarion.livingmap.event.FiniteNumbers.firstNonFinite(payload);
    if (nonFinite != null) {
      // Vert.x reads 1e400 as Infinity and would write it back as the string "Infinity".
      throw new BadParameter("payload", "payload field '" + nonFinite + "' is not a finite number");
    }
    String nul = org.daarion.livingmap.event.NulText.firstNul(payload);
    if (nul != null) {
      // PostgreSQL's jsonb and text cannot hold U+0000: the state could not be stored.
      throw new BadParameter(
          "payload", "payload field '" + nul.replace("\0", "\\u0000") + "' holds a NUL character");
    }
    byte[] bytes =
        payload instanceof JsonObject o
            ? o.toBuffer().getBytes()
            : payload == null ? new byte[0] : Buffer.buffer(String.valueOf(payload)).getBytes();
    String subject = body.getString("event_type");
    ctx.vertx()
        .executeBlocking(
            () -> intake.take(subject, bytes, body.getString("msg_id"), Acker.NONE), false)
        .onComplete(
            r ->
                Responses.json(
                    ctx,
                    202,
                    new JsonObject()
                        .put(
                            "accepted", r.succeeded() && r.result() == EventIntake.Outcome.ACCEPTED)
                        .put("event_type", subject)
                        .put("bytes", new String(bytes, StandardCharsets.UTF_8).length())));
  }
}
