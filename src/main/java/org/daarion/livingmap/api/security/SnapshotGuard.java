package org.daarion.livingmap.api.security;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.daarion.livingmap.api.PreparedResponses;
import org.daarion.livingmap.state.PreparedSnapshot;

/**
 * Mounted on {@code GET /living-map/snapshot} before the snapshot route: answers anonymous callers
 * (public mode) with the {@link PublicSnapshot} and callers with hidden layers with the {@link
 * LayerPolicy}-filtered snapshot; everyone else goes on to the full snapshot route. Time travel
 * ({@code ?at=}) is refused to both (401 / 403): it has no reduced form yet. Each reduced snapshot
 * is a variant of the prepared snapshot ({@link PreparedSnapshot#variant}: key {@code "public"}, or
 * {@code "hidden:"} and the sorted hidden layers), encoded once per prepared version for everyone
 * in that visibility class.
 */
public final class SnapshotGuard implements Handler<RoutingContext> {
  private final Supplier<CompletionStage<PreparedSnapshot>> current;
  private final LayerPolicy layers;

  public SnapshotGuard(Supplier<CompletionStage<PreparedSnapshot>> current, LayerPolicy layers) {
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
        .thenCompose(
            prepared -> {
              if (anonymous) {
                return prepared.variant(PUBLIC_KEY, PublicSnapshot::reduce);
              }
              java.util.Set<String> hidden = layers.hidden(p);
              return prepared.variant(hiddenKey(hidden), json -> layers.filterSnapshot(json, p));
            })
        .whenComplete(
            (encoded, err) -> {
              Runnable answer =
                  () -> {
                    if (err != null) {
                      Errors.send(ctx, 503, "unavailable", "snapshot unavailable");
                    } else {
                      PreparedResponses.send(ctx, encoded);
                    }
                  };
              if (context == null) {
                answer.run();
              } else {
                context.runOnContext(v -> answer.run());
              }
            });
  }

  /** The variant key of anonymous callers in public mode. */
  public static final String PUBLIC_KEY = "public";

  /** The variant key of callers that may not see {@code hidden}: one per set of hidden layers. */
  public static String hiddenKey(java.util.Set<String> hidden) {
    return "hidden:" + String.join(",", new java.util.TreeSet<>(hidden));
  }
}
