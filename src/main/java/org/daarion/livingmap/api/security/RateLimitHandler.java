package org.daarion.livingmap.api.security;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Per-client HTTP rate limit: one token per request from the client's bucket (identity from the
 * {@link Principal}, else address). An empty bucket answers {@code 429} JSON with {@code
 * Retry-After} in whole seconds. Runs after {@link AuthHandler}.
 */
public final class RateLimitHandler implements Handler<RoutingContext> {
  private final TokenBuckets buckets;
  private final boolean trustProxy;
  private final Predicate<String> exempt;
  private final Runnable onLimited;

  /**
   * @param exempt paths (normalised) never limited, e.g. the orchestrator's probes
   * @param onLimited called once per refused request (a metric)
   */
  public RateLimitHandler(
      TokenBuckets buckets, boolean trustProxy, Predicate<String> exempt, Runnable onLimited) {
    this.buckets = buckets;
    this.trustProxy = trustProxy;
    this.exempt = exempt;
    this.onLimited = onLimited;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (exempt.test(ctx.normalizedPath())) {
      ctx.next();
      return;
    }
    String client = ClientAddress.clientKey(Principal.of(ctx), ctx.request(), trustProxy);
    long waitNanos = buckets.take(client);
    if (waitNanos == 0) {
      ctx.next();
      return;
    }
    onLimited.run();
    long seconds = Math.max(1, (TimeUnit.NANOSECONDS.toMillis(waitNanos) + 999) / 1000);
    ctx.response().putHeader("Retry-After", Long.toString(seconds));
    Errors.send(ctx, 429, "rate_limited", "too many requests; retry after " + seconds + " s");
  }
}
