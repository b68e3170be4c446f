package org.daarion.livingmap.api.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.metrics.MetricsHandler;
import org.daarion.livingmap.stream.StreamEndpoint;
import org.daarion.livingmap.wire.VertxInternals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: mounts the route groups under {@code /living-map}, serves the web UI to browsers
 * at {@code /} and {@code /living-map}, and turns every failure into JSON (400 naming the
 * parameter, 404, 500 without a stack trace).
 *
 * <p>In front of every route: request metrics ({@link MetricsHandler}), then the {@link HttpFront}
 * ({@code api.security.Security}: headers, CORS, timeout, auth, rate limit, body limit). This class
 * is the HTTP kit's server: it knows no route group and no security rule by name. Also serves
 * {@code /metrics} (Prometheus), {@code /living-map/openapi.json} and the docs page {@code
 * /living-map/docs}.
 */
public final class ApiServer {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  private static final String WEBROOT = "webroot";

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final String version;
  private static final String OPENAPI = "openapi.json";
  private static final String DOCS = "living-map-docs.html";
  private static final SecureRandom NONCES = new SecureRandom();

  private final List<RouteGroup> groups;
  private final HttpFront security;
  private final Metrics metrics;
  private final BadInput badInput;
  private Buffer openApi;
  private String docsPage;

  /**
   * The production server: host, port and limits from {@code config}, the {@code security} chain in
   * front of every route, and {@code /metrics} from {@code metrics} (null: no metrics route).
   */
  public ApiServer(
      Vertx vertx,
      Config config,
      String version,
      List<RouteGroup> groups,
      HttpFront security,
      Metrics metrics) {
    this(vertx, config.host, config.port, version, groups, security, metrics);
    this.wsCompression = config.wsCompression;
  }

  /** Whether the stream offers permessage-deflate ({@code LIVING_MAP_WS_COMPRESSION}). */
  private boolean wsCompression;

  private ApiServer(
      Vertx vertx,
      String host,
      int port,
      String version,
      List<RouteGroup> groups,
      HttpFront security,
      Metrics metrics) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.version = version;
    this.groups = List.copyOf(groups);
    this.security = security;
    this.metrics = metrics;
    this.badInput = new BadInput(metrics, java.time.Clock.systemUTC());
  }

  /** Refused requests by kind (tests, and the log limiter behind them). */
  public BadInput badInput() {
    return badInput;
  }

  /** Starts listening; completes with the bound port. */
  /**
   * Starts one server instance per core, each on its own event loop, sharing the port: Vert.x
   * spreads connections across them, so WebSocket fan-out uses every core instead of the one event
   * loop a single server would pin all sockets to. The first instance binds (port 0 picks a free
   * port), the others join it.
   */
  public Future<Integer> start() {
    Router router = router();
    HttpServerOptions options =
        StreamEndpoint.serverOptions(
            security.applyLimits(
                new HttpServerOptions()
                    .setHost(host)
                    .setPort(port)
                    .setCompressionSupported(true)
                    // Level 1, nginx's default gzip_comp_level: responses compressed per request
                    // (a /history page of 200 events is ~100 KB) cost a third of level 6's CPU;
                    // the snapshot is prepared with level 6 once per version and not recompressed.
                    .setCompressionLevel(1)
                    .setRegisterWebSocketWriteHandlers(false)),
            wsCompression);
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    if (options.getPort() == 0 && instances > 1) {
      // Vert.x shares a listening socket between instances by the port asked for; port 0 would
      // give each instance its own random port. So take a free port first and share that.
      options.setPort(freePort(options.getHost()));
    }
    return vertx
        .deployVerticle(new ServerInstance(router, options))
        .compose(
            first -> {
              deployments.add(first);
              int bound = boundPort;
              if (instances == 1) {
                return Future.succeededFuture(bound);
              }
              HttpServerOptions joined = new HttpServerOptions(options).setPort(bound);
              return vertx
                  .deployVerticle(
                      () -> new ServerInstance(router, joined),
                      new io.vertx.core.DeploymentOptions().setInstances(instances - 1))
                  .map(
                      id -> {
                        deployments.add(id);
                        return bound;
                      });
            });
  }

  private static int freePort(String host) {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(host, 0));
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("no free port on " + host, e);
    }
  }

  private final List<String> deployments = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile int boundPort;

  /** One HTTP server on one event loop. */
  private final class ServerInstance extends io.vertx.core.VerticleBase {
    private final Router router;
    private final HttpServerOptions options;

    ServerInstance(Router router, HttpServerOptions options) {
      this.router = router;
      this.options = options;
    }

    @Override
    public Future<?> start() {
      return vertx
          .createHttpServer(options)
          .invalidRequestHandler(ApiServer.this::invalidRequest)
          .requestHandler(router)
          .listen()
          .onSuccess(s -> boundPort = s.actualPort());
    }
  }

  public Future<Void> stop() {
    security.close();
    List<Future<Void>> undeploys = new java.util.ArrayList<>();
    for (String id : deployments) {
      undeploys.add(vertx.undeploy(id));
    }
    deployments.clear();
    return Future.all(undeploys).mapEmpty();
  }

  /** The router with every route; public so tests can compare it with the OpenAPI document. */
  public Router router() {
    openApi = Buffer.buffer(resource(OPENAPI));
    docsPage = new String(resource(DOCS), StandardCharsets.UTF_8);
    Router router = Router.router(vertx);
    if (metrics != null) {
      router.route().handler(new MetricsHandler(metrics));
    }
    router.route().handler(new RequestGuard(badInput));
    security.installFront(router);
    router.get("/").handler(this::root);
    router.get("/living-map").handler(this::root);
    router.get("/living-map/").handler(this::root);
    router.get("/living-map/openapi.json").handler(this::openApi);
    router.get("/living-map/docs").handler(this::docs);
    if (metrics != null) {
      router.get("/metrics").handler(this::metrics);
    }
    for (RouteGroup g : groups) {
      g.mount(router);
    }
    router
        .route("/living-map/*")
        .handler(ctx -> Responses.notFound(ctx, "no route " + ctx.request().path()));
    router
        .route("/*")
        .handler(StaticHandler.create(WEBROOT).setCachingEnabled(true).setIndexPage("index.html"));
    router.route().failureHandler(this::failure);
    // Errors the router raises itself, before or outside any route (no route at all, a method
    // not allowed, a path it cannot normalise): the same JSON instead of its HTML page.
    for (int status = 400; status < 600; status++) {
      int code = status;
      router.errorHandler(code, ctx -> routerError(ctx, code));
    }
    return router;
  }

  private void openApi(RoutingContext ctx) {
    ctx.response().putHeader("Cache-Control", "no-cache");
    Responses.bytes(ctx, 200, openApi);
  }

  private void docs(RoutingContext ctx) {
    byte[] raw = new byte[18];
    NONCES.nextBytes(raw);
    String nonce = Base64.getEncoder().encodeToString(raw);
    ctx.response()
        .putHeader(
            "Content-Security-Policy",
            security.contentSecurityPolicy(
                ctx.request().getHeader("Host"), "'nonce-" + nonce + "'"))
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .end(docsPage.replace("{{NONCE}}", nonce));
  }

  private void metrics(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .end(metrics.scrape());
  }

  private static byte[] resource(String name) {
    try (InputStream in = ApiServer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void root(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    if (accept != null && accept.contains("text/html") && hasUi()) {
      ctx.response().putHeader("Cache-Control", "no-cache");
      ctx.response().sendFile(WEBROOT + "/index.html");
      for (RouteGroup g : groups) {
        g.pageServed();
      }
      return;
    }
    Responses.json(ctx, 200, info());
  }

  private boolean hasUi() {
    return getClass().getClassLoader().getResource(WEBROOT + "/index.html") != null;
  }

  private JsonObject info() {
    return new JsonObject()
        .put("service", "living-map-service")
        .put("version", version)
        .put("status", "running")
        .put(
            "endpoints",
            new JsonArray()
                .add("/living-map/health")
                .add("/living-map/snapshot")
                .add("/living-map/entities")
                .add("/living-map/entities/{id}")
                .add("/living-map/entities/facets")
                .add("/living-map/history")
                .add("/living-map/history/stats")
                .add("/living-map/snapshots")
                .add("/living-map/sources")
                .add("/living-map/graph")
                .add("/living-map/rejected")
                .add("/living-map/stream")
                .add("/living-map/openapi.json")
                .add("/living-map/docs")
                .add("/metrics"));
  }

  private void failure(RoutingContext ctx) {
    Throwable err = ctx.failure();
    if (err instanceof BadParameter bad) {
      badInput.note("bad_parameter", bad.parameter() + ": " + bad.getMessage());
      Responses.badParameter(ctx, bad);
      return;
    }
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    routerError(ctx, status);
  }

  private void routerError(RoutingContext ctx, int status) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    Throwable err = ctx.failure();
    String path = ctx.request().path();
    if (status >= 500) {
      badInput.noteFailure("internal", ctx.request().method() + " " + path + " failed", err);
      Responses.json(
          ctx, status, Responses.error("internal", "the server failed to answer this request"));
      return;
    }
    String code = status == 404 ? "not_found" : "http_" + status;
    badInput.note(code, ctx.request().method() + " " + path);
    String detail =
        switch (status) {
          case 404 -> "no route " + path;
          case 405 -> "method " + ctx.request().method() + " not allowed on " + path;
          case 413 -> "request body too large";
          default -> "request refused";
        };
    Responses.json(ctx, status, Responses.error(code, detail));
  }

  /**
   * Requests the HTTP codec could not read (a request line or headers over the limits, a broken
   * request line): Vert.x's default answers with an empty body; this one with the JSON error shape.
   */
  private void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
    int status;
    String code;
    String detail;
    switch (VertxInternals.unreadable(request)) {
      case LINE_TOO_LONG -> {
        status = 414;
        code = "uri_too_long";
        detail = "the request line is longer than the server accepts";
      }
      case HEADERS_TOO_LARGE -> {
        status = 431;
        code = "headers_too_large";
        detail = "the request headers are larger than the server accepts";
      }
      default -> {
        status = 400;
        code = "invalid_http";
        detail = "the request is not valid HTTP/1.1";
      }
    }
    String cause = VertxInternals.unreadableCause(request);
    badInput.note(code, detail + (cause == null ? "" : ": " + cause));
    request
        .response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .putHeader("Connection", "close")
        .end(Responses.error(code, detail).toBuffer())
        .onComplete(v -> request.connection().close());
  }
}
