package org.daarion.livingmap.api.security;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.daarion.livingmap.api.Responses;
import org.daarion.livingmap.state.Snapshot;
import org.daarion.livingmap.visibility.Visibility;

/**
 * Mounted on {@code GET /living-map/snapshot} before the snapshot route: answers anonymous callers
 * (public mode) with the {@link PublicSnapshot} of what their class sees and callers with hidden
 * layers with their class's variant ({@link org.daarion.livingmap.visibility.Visibility#snapshot});
 * everyone else goes on to the full snapshot route. Time travel ({@code ?at=}) is refused to
 * anonymous callers (401) and goes on to the snapshot route for the others, which reduces the past
 * state the same way. Each variant is built and encoded once per snapshot version and class, and
 * shared by every caller of that class.
 */
public final class SnapshotGuard implements Handler<RoutingContext> {
  private final Supplier<CompletionStage<Snapshot>> current;
  private final LayerPolicy layers;

  private record Reduced(Snapshot from, io.vertx.core.buffer.Buffer bytes) {}

  /** Per class key ("public:" prefixed for anonymous callers): at most 2 x 2^layers entries. */
  private final java.util.Map<String, Reduced> reduced =
      new java.util.concurrent.ConcurrentHashMap<>();

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
    Visibility v = layers.visibility(p);
    if (!anonymous && v.isFull()) {
      ctx.next();
      return;
    }
    if (ctx.queryParams().contains("at")) {
      if (anonymous) {
        Errors.auth(ctx, AuthException.unauthorized("time travel needs credentials"));
      } else {
        ctx.next();
      }
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
                    } else {
                      ctx.response().putHeader("Cache-Control", "no-cache");
                      Responses.prepared(ctx, 200, variant(snapshot, v, anonymous), v);
                    }
                  };
              if (context == null) {
                answer.run();
              } else {
                context.runOnContext(v2 -> answer.run());
              }
            });
  }

  private io.vertx.core.buffer.Buffer variant(Snapshot s, Visibility v, boolean anonymous) {
    String key = (anonymous ? "public:" : "") + v.key();
    Reduced r = reduced.get(key);
    if (r == null || r.from() != s) {
      JsonObject json = v.snapshot(s.json());
      r = new Reduced(s, (anonymous ? PublicSnapshot.reduce(json) : json).toBuffer());
      reduced.put(key, r);
    }
    return r.bytes();
  }
}
