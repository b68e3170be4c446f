package org.daarion.livingmap.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.api.security.Principal;
import org.daarion.livingmap.api.security.Security;
import org.daarion.livingmap.api.security.StreamGuard;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.stream.StreamEndpoint;
import org.daarion.livingmap.stream.StreamSession;
import org.daarion.livingmap.visibility.Visibility;

/**
 * {@code GET /living-map/stream}: stream admission. The caller is already authenticated by the
 * router (header, {@code access_token} or the bearer subprotocol); here it takes a per-client
 * socket slot (refused with a fixed JSON error and {@code Retry-After}), and its session closes the
 * socket when its token expires, limits its frames and sees only the layers it may.
 */
public final class StreamRoutes implements RouteGroup {
  private final Vertx vertx;
  private final Security security;
  private final Metrics metrics;
  private final StreamEndpoint stream;

  public StreamRoutes(Vertx vertx, Security security, Metrics metrics, StreamEndpoint stream) {
    this.vertx = vertx;
    this.security = security;
    this.metrics = metrics;
    this.stream = stream;
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/stream").handler(this::open);
  }

  private void open(RoutingContext ctx) {
    Principal principal = Principal.of(ctx);
    StreamGuard.Admission admission =
        security.streams().admit(security.clientKey(principal, ctx.request()));
    if (!admission.ok()) {
      metrics.wsRefused(admission.code());
      ctx.response()
          .setStatusCode(admission.status())
          .putHeader("Retry-After", Long.toString(admission.retryAfterSeconds()))
          .putHeader("Content-Type", "application/json")
          .end(
              new JsonObject()
                  .put("error", admission.code())
                  .put("detail", admission.reason())
                  .encode());
      return;
    }
    long[] expiryTimer = {-1};
    Visibility visibility = security.layers().visibility(principal);
    stream.handle(
        ctx.request(),
        new StreamSession() {
          @Override
          public void opened(ServerWebSocket ws) {
            expiryTimer[0] = security.closeOnExpiry(ws, principal);
          }

          @Override
          public boolean allowFrame() {
            return admission.ticket().allowFrame();
          }

          @Override
          public Visibility visibility() {
            return visibility;
          }

          @Override
          public void closed() {
            admission.ticket().release();
            if (expiryTimer[0] >= 0) {
              vertx.cancelTimer(expiryTimer[0]);
            }
          }
        });
  }
}
