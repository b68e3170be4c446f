package org.daarion.livingmap.api.security;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.daarion.livingmap.state.Snapshot;

/**
 * Mounted on {@code GET /living-map/snapshot} before the snapshot route: answers anonymous callers
 * (public mode) with the {@link PublicSnapshot} and callers with hidden layers with the {@link
 * LayerPolicy}-filtered snapshot; everyone else goes on to the full snapshot route. Time travel
 * ({@code ?at=}) is refused to both (401 / 403): it has no reduced form yet. The reduced snapshot
 * is built once per snapshot version.
 */
public final class SnapshotGuard implements Handler<RoutingContext> {
  private final Supplier<CompletionStage<Snapshot>> current;
  private final LayerPolicy layers;

  private record Reduced(Snapshot from, io.vertx.core.buffer.Buffer bytes) {}

  private volatile Reduced reduced;

  public SnapshotGuard(Supplier<CompletionStage<Snapshot>> current, LayerPolicy layers) {
    this.current = current;
    this.layers = layers;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Principal p = Principal.of(ctx);
    if (p == null) {
      ctx.next();
      return;
    }
    boolean anonymous = p.isAnonymous();
    boolean restricted = !anonymous && layers.restricts(p);
    if (!anonymous && !restricted) {
      ctx.next();
      return;
    }
    if (ctx.queryParams().contains("at")) {
      Errors.auth(
          ctx,
          anonymous
              ? AuthException.unauthorized("time travel needs credentials")
              : AuthException.forbidden("time travel needs access to every layer"));
      return;
    }
    Context context = Vertx.currentContext();
    current
        .get()
        .whenComplete(
            (snapshot, err) -> {
              Runnable answer =
                  () -> {
                    if (err != null) {
                      Errors.send(ctx, 503, "unavailable", "snapshot unavailable");
                    } else if (anonymous) {
                      send(ctx, publicBytes(snapshot));
                    } else {
                      send(ctx, layers.filterSnapshot(snapshot.json(), p).toBuffer());
                    }
                  };
              if (context == null) {
                answer.run();
              } else {
                context.runOnContext(v -> answer.run());
              }
            });
  }

  private io.vertx.core.buffer.Buffer publicBytes(Snapshot s) {
    Reduced r = reduced;
    if (r == null || r.from() != s) {
      r = new Reduced(s, PublicSnapshot.reduce(s.json()).toBuffer());
      reduced = r;
    }
    return r.bytes();
  }

  private static void send(RoutingContext ctx, io.vertx.core.buffer.Buffer body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response()
        .setStatusCode(200)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .end(body);
  }
}
