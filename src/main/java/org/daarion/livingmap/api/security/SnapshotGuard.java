package org.daarion.livingmap.api.security;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.daarion.livingmap.api.http.PreparedResponses;
import org.daarion.livingmap.state.PreparedSnapshot;
import org.daarion.livingmap.visibility.Visibility;

/**
 * Mounted on {@code GET /living-map/snapshot} before the snapshot route: answers anonymous callers
 * (public mode) with the {@link PublicSnapshot} of what their class sees and callers with hidden
 * layers with their class's variant ({@link Visibility#snapshot}); everyone else goes on to the
 * full snapshot route. Time travel ({@code ?at=}) is refused to anonymous callers (401) and goes on
 * to the snapshot route for the others, which reduces the past state the same way. Each reduced
 * snapshot is a variant of the prepared snapshot ({@link PreparedSnapshot#variant}: key {@code
 * "public:"} or {@code "hidden:"} and the class key), encoded once per prepared version for
 * everyone in that visibility class.
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
        .thenCompose(
            prepared ->
                anonymous
                    ? prepared.variant(
                        publicKey(v), json -> PublicSnapshot.reduce(v.snapshot(json)))
                    : prepared.variant(hiddenKey(v), v.snapshotReducer()))
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
                context.runOnContext(x -> answer.run());
              }
            });
  }

  /** The variant key of anonymous callers in public mode who see what {@code v} sees. */
  public static String publicKey(Visibility v) {
    return "public:" + v.key();
  }

  /** The variant key of callers of the class {@code v}: one per set of hidden layers. */
  public static String hiddenKey(Visibility v) {
    return "hidden:" + v.key();
  }
}
