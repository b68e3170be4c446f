package org.daarion.livingmap.api.security;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.daarion.livingmap.api.http.HttpFront;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.state.PreparedSnapshot;
import org.daarion.livingmap.visibility.Visibility;

/**
 * Everything security- and limit-related, built once from {@link Config} by the composition root
 * and installed by {@code api.http.ApiServer} (as its {@link HttpFront}) at the front of the
 * router:
 *
 * <ol>
 *   <li>security headers ({@link SecurityHeaders});
 *   <li>CORS allowlist ({@link CorsHandler}): {@code LIVING_MAP_CORS_ORIGINS}, default {@code *}
 *       with auth off and none with auth on;
 *   <li>slow-request timeout ({@code LIVING_MAP_REQUEST_TIMEOUT}, 503; WebSocket upgrades
 *       excepted);
 *   <li>authentication and route access ({@link AuthHandler}, {@link AccessPolicy});
 *   <li>per-client rate limit ({@link RateLimitHandler}; probes exempt);
 *   <li>body size limit for requests with bodies ({@code LIVING_MAP_MAX_BODY_BYTES}, 413).
 * </ol>
 *
 * Header and request-line limits and the idle timeout go into the server options ({@link
 * #applyLimits}). The WebSocket endpoint uses {@link #authorizeStream}, {@link #streams} and {@link
 * SocketExpiry}.
 */
public final class Security implements HttpFront {
  private final Vertx vertx;
  private final Config config;
  private final Clock clock;
  private final Metrics metrics;
  private final Authenticator authenticator;
  private final AccessPolicy policy;
  private final LayerPolicy layers;
  private final TokenBuckets httpBuckets;
  private final StreamGuard streams;
  private final List<String> corsOrigins;
  private final long sweeper;

  private Security(Vertx vertx, Config config, Clock clock, Metrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.clock = clock;
    this.metrics = metrics;
    this.authenticator = Authenticator.create(vertx, config, clock);
    this.policy = new AccessPolicy(config.metricsOpen);
    this.layers = new LayerPolicy(config.layerRoles);
    this.httpBuckets =
        config.rateLimit.enabled()
            ? new TokenBuckets(config.rateLimit, config.rateLimitClients, System::nanoTime)
            : null;
    this.streams =
        new StreamGuard(
            config.wsConnectRate.enabled()
                ? new TokenBuckets(config.wsConnectRate, config.rateLimitClients, System::nanoTime)
                : null,
            config.wsFrameRate.enabled()
                ? new TokenBuckets(config.wsFrameRate, config.rateLimitClients, System::nanoTime)
                : null,
            config.wsMaxPerClient,
            config.wsMaxConnections);
    this.corsOrigins = config.corsOrigins.orElse(config.authEnabled() ? List.of() : List.of("*"));
    this.sweeper =
        vertx.setPeriodic(
            60_000,
            id -> {
              if (httpBuckets != null) {
                httpBuckets.evictIdle();
              }
              streams.evictIdle();
            });
  }

  /** Security as {@code config} describes; {@code metrics} may be null. */
  public static Security create(Vertx vertx, Config config, Clock clock, Metrics metrics) {
    return new Security(vertx, config, clock, metrics);
  }

  /** Auth off, CORS {@code *}, no rate limits, default size limits: the original's openness. */
  public static Security open(Vertx vertx) {
    return new Security(vertx, Config.of(Map.of()), Clock.systemUTC(), null);
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  public LayerPolicy layers() {
    return layers;
  }

  /** Admission control for WebSocket connects and frames. */
  public StreamGuard streams() {
    return streams;
  }

  public Clock clock() {
    return clock;
  }

  /** The rate-limit and socket-cap identity of a caller. */
  public String clientKey(Principal principal, HttpServerRequest request) {
    return ClientAddress.clientKey(principal, request, config.trustProxy);
  }

  /** Header, request-line and idle limits, and the {@code bearer} WebSocket subprotocol. */
  @Override
  public HttpServerOptions applyLimits(HttpServerOptions options) {
    List<String> protocols =
        options.getWebSocketSubProtocols() == null
            ? new java.util.ArrayList<>()
            : new java.util.ArrayList<>(options.getWebSocketSubProtocols());
    if (!protocols.contains(Authenticator.BEARER_SUBPROTOCOL)) {
      protocols.add(Authenticator.BEARER_SUBPROTOCOL);
    }
    return options
        .setMaxHeaderSize(config.maxHeaderBytes)
        .setMaxInitialLineLength(config.maxUriBytes)
        .setIdleTimeout((int) Math.max(1, config.idleTimeout.toSeconds()))
        .setWebSocketSubProtocols(protocols);
  }

  /** Installs the front handlers on {@code router}, before any route; see the class comment. */
  @Override
  public void installFront(Router router) {
    router.route().handler(new SecurityHeaders());
    router.route().handler(new CorsHandler(corsOrigins));
    Handler<RoutingContext> timeout = TimeoutHandler.create(config.requestTimeout.toMillis(), 503);
    router
        .route()
        .handler(
            ctx -> {
              if (Authenticator.isWebSocketUpgrade(ctx.request())) {
                ctx.next();
              } else {
                timeout.handle(ctx);
              }
            });
    router
        .route()
        .handler(
            new AuthHandler(
                authenticator,
                policy,
                reason -> {
                  if (metrics != null) {
                    metrics.authFailure(reason);
                  }
                }));
    // The visibility door: every body a route writes through Responses is filtered by this.
    router
        .route()
        .handler(
            ctx -> {
              ctx.put(Visibility.CONTEXT_KEY, layers.visibility(Principal.of(ctx)));
              ctx.next();
            });
    if (httpBuckets != null) {
      router
          .route()
          .handler(
              new RateLimitHandler(
                  httpBuckets,
                  config.trustProxy,
                  AccessPolicy::isProbe,
                  () -> {
                    if (metrics != null) {
                      metrics.rateLimited("http");
                    }
                  }));
    }
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes);
    router
        .route()
        .method(HttpMethod.POST)
        .method(HttpMethod.PUT)
        .method(HttpMethod.PATCH)
        .method(HttpMethod.DELETE)
        .handler(body);
  }

  /**
   * A route group serving reduced snapshots to anonymous callers (public mode) and layer-filtered
   * ones to callers with hidden layers, on {@code GET /living-map/snapshot}. Add it before the
   * snapshot route group: {@code groups.add(security.snapshotGuard(snapshots::prepared))}.
   */
  public RouteGroup snapshotGuard(Supplier<CompletionStage<PreparedSnapshot>> current) {
    SnapshotGuard guard = new SnapshotGuard(current, layers);
    return router -> router.get("/living-map/snapshot").handler(guard);
  }

  /**
   * For a WebSocket endpoint not behind the router's {@link AuthHandler} (or to re-check): the
   * principal of the upgrade request if it may read the stream. Fails with a 401 {@link
   * AuthException} for missing or bad credentials (anonymous callers are refused even in public
   * mode: the stream carries the full state) and 403 without {@code living-map:read}. Completes on
   * the caller's context.
   */
  public Future<Principal> authorizeStream(HttpServerRequest request) {
    Context context = Vertx.currentContext();
    Future<Principal> f =
        authenticator
            .authenticate(request)
            .compose(
                p -> {
                  if (p.isAnonymous()) {
                    return Future.failedFuture(
                        AuthException.unauthorized("credentials required for the stream"));
                  }
                  if (!p.hasRole(Principal.READ)) {
                    return Future.failedFuture(
                        AuthException.forbidden("role " + Principal.READ + " required"));
                  }
                  return Future.succeededFuture(p);
                });
    if (context == null) {
      return f;
    }
    Promise<Principal> promise = Promise.promise();
    f.onComplete(
        ar -> {
          if (Vertx.currentContext() == context) {
            promise.handle(ar);
          } else {
            context.runOnContext(v -> promise.handle(ar));
          }
        });
    return promise.future();
  }

  /** Schedules the close of {@code ws} when {@code principal} expires; see {@link SocketExpiry}. */
  public long closeOnExpiry(io.vertx.core.http.ServerWebSocket ws, Principal principal) {
    return SocketExpiry.closeOnExpiry(vertx, ws, principal, clock);
  }

  /** The UI's policy ({@link SecurityHeaders#csp}) with the extra script sources. */
  @Override
  public String contentSecurityPolicy(String host, String scriptSrc) {
    return SecurityHeaders.csp(host, scriptSrc);
  }

  @Override
  public void close() {
    vertx.cancelTimer(sweeper);
  }
}
