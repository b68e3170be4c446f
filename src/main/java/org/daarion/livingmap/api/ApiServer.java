package org.daarion.livingmap.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: mounts the route groups under {@code /living-map}, serves the web UI to browsers
 * at {@code /} and {@code /living-map}, and turns every failure into JSON (400 naming the
 * parameter, 404, 500 without a stack trace).
 */
public final class ApiServer {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  private static final String WEBROOT = "webroot";

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final String version;
  private final List<RouteGroup> groups;
  private HttpServer server;

  public ApiServer(Vertx vertx, String host, int port, String version, List<RouteGroup> groups) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.version = version;
    this.groups = List.copyOf(groups);
  }

  /** Starts listening; completes with the bound port. */
  public Future<Integer> start() {
    Router router = router();
    server =
        vertx.createHttpServer(
            new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setCompressionSupported(true)
                .setMaxWebSocketFrameSize(65536)
                .setMaxWebSocketMessageSize(65536)
                .setRegisterWebSocketWriteHandlers(false));
    return server.requestHandler(router).listen().map(HttpServer::actualPort);
  }

  public Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  Router router() {
    Router router = Router.router(vertx);
    router
        .route()
        .handler(
            CorsHandler.create()
                .addOrigin("*")
                .allowedMethod(HttpMethod.GET)
                .allowedMethod(HttpMethod.POST)
                .allowedMethod(HttpMethod.PUT)
                .allowedMethod(HttpMethod.DELETE)
                .allowedHeader("Content-Type")
                .allowedHeader("Authorization")
                .allowedHeader("X-API-Key"));
    router.get("/").handler(this::root);
    router.get("/living-map").handler(this::root);
    router.get("/living-map/").handler(this::root);
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
    return router;
  }

  private void root(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    if (accept != null && accept.contains("text/html") && hasUi()) {
      ctx.response().putHeader("Cache-Control", "no-cache");
      ctx.response().sendFile(WEBROOT + "/index.html");
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
                .add("/living-map/stream"));
  }

  private void failure(RoutingContext ctx) {
    Throwable err = ctx.failure();
    if (err instanceof BadParameter bad) {
      Responses.badParameter(ctx, bad);
      return;
    }
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    if (status >= 500) {
      log.error("request {} {} failed", ctx.request().method(), ctx.request().path(), err);
      Responses.json(
          ctx, status, Responses.error("internal", "the server failed to answer this request"));
    } else {
      Responses.json(ctx, status, Responses.error("http_" + status, "request refused"));
    }
  }
}
