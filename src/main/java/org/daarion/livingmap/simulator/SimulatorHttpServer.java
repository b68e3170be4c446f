package org.daarion.livingmap.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.daarion.livingmap.config.UpstreamSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The six DAARION upstream services on one port, served from the live {@link SimulatedNetwork} with
 * the paths and shapes of CONTRACT section 4 (the paths do not collide, so every adapter can point
 * at {@code http://127.0.0.1:<port>}).
 *
 * <ul>
 *   <li>city-service: {@code GET /api/city/snapshot}, {@code /city/microdao}, {@code
 *       /public/nodes}, {@code /public/nodes/{node_id}}
 *   <li>space-service: {@code GET /space/planets}, {@code /space/nodes}, {@code /space/events};
 *       {@code /api/space/scene} is 404 as in DAARION
 *   <li>agents-service: {@code GET /agents[?is_active=false][&kind=][&microdao_id=]}, {@code
 *       /agents/{uuid or agent:name}}; {@code /agents/metrics/summary} is 404
 *   <li>microdao-service: {@code GET /microdao}, {@code /microdao/{slug}} (Bearer token); {@code
 *       /internal/microdaos} is 404
 *   <li>dao-service: {@code GET /dao}, {@code /dao/{slug}} (Bearer token)
 *   <li>usage-engine: {@code GET /internal/usage/summary?period_hours=24}, {@code
 *       /internal/usage/agents}
 * </ul>
 *
 * Anything else is 404 {@code {"detail":"Not Found"}}. Bearer rule: with a configured token only
 * that token is accepted, without one any non-empty token; otherwise 401 {@code {"detail":"Missing
 * or invalid authorization header"}}.
 *
 * <p>Each service's paths (including its 404 ones) obey its current {@link Fault} in {@link
 * FaultModes}. Control endpoints: {@code GET /_sim/faults}, {@code PUT /_sim/faults/{source}} with
 * {@code {"mode":"slow","delay_ms":10000}}, {@code DELETE /_sim/faults} (all back to none), and
 * {@code DELETE /_sim/agents/{id}}, {@code /_sim/nodes/{id}}, {@code /_sim/microdaos/{id}}, {@code
 * /_sim/daos/{id}} to make an entity disappear upstream.
 *
 * <p>Handlers run on the event loop and hold the network's lock only while rendering; slow
 * responses wait on a timer, never blocking.
 */
public final class SimulatorHttpServer {
  private static final Logger log = LoggerFactory.getLogger(SimulatorHttpServer.class);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final String JSON = "application/json";

  /** A response: status and body. */
  private record Reply(int status, JsonNode body) {}

  private final Vertx vertx;
  private final SimulatedNetwork network;
  private final UpstreamViews views;
  private final FaultModes faults;
  private final Optional<String> token;
  private final String host;
  private final int requestedPort;
  private final ObjectMapper mapper = new ObjectMapper();
  private volatile HttpServer server;

  /**
   * @param token the one accepted Bearer token, or empty to accept any non-empty token
   * @param host address to listen on
   * @param port port to listen on; 0 picks a free one (see {@link #port()})
   */
  public SimulatorHttpServer(
      Vertx vertx,
      SimulatedNetwork network,
      FaultModes faults,
      Optional<String> token,
      String host,
      int port) {
    this.vertx = Objects.requireNonNull(vertx);
    this.network = Objects.requireNonNull(network);
    this.views = new UpstreamViews(network);
    this.faults = Objects.requireNonNull(faults);
    this.token = token.filter(t -> !t.isBlank());
    this.host = Objects.requireNonNull(host);
    this.requestedPort = port;
  }

  /** Starts listening; completes with the actual port. */
  public Future<Integer> start() {
    Router router = router();
    return vertx
        .createHttpServer(new HttpServerOptions())
        .requestHandler(router)
        .listen(requestedPort, host)
        .map(
            s -> {
              server = s;
              log.info("simulated DAARION upstreams listening on {}:{}", host, s.actualPort());
              return s.actualPort();
            });
  }

  /** The port listened on, or -1 before {@link #start()} completed. */
  public int port() {
    HttpServer s = server;
    return s == null ? -1 : s.actualPort();
  }

  public Future<Void> stop() {
    HttpServer s = server;
    server = null;
    return s == null ? Future.succeededFuture() : s.close();
  }

  private Router router() {
    Router router = Router.router(vertx);

    upstream(router, "/api/city/snapshot", UpstreamSource.CITY, ctx -> ok(views.citySnapshot()));
    upstream(router, "/city/microdao", UpstreamSource.CITY, ctx -> ok(views.cityMicrodaos()));
    upstream(router, "/public/nodes", UpstreamSource.CITY, ctx -> ok(views.publicNodes()));
    upstream(router, "/public/nodes/:id", UpstreamSource.CITY, this::publicNode);

    upstream(router, "/space/planets", UpstreamSource.SPACE, ctx -> ok(views.planets()));
    upstream(router, "/space/nodes", UpstreamSource.SPACE, ctx -> ok(views.spaceNodes()));
    upstream(router, "/space/events", UpstreamSource.SPACE, ctx -> ok(views.spaceEvents()));
    upstream(router, "/api/space/scene", UpstreamSource.SPACE, ctx -> notFound());

    upstream(router, "/agents/metrics/summary", UpstreamSource.AGENTS, ctx -> notFound());
    upstream(router, "/agents", UpstreamSource.AGENTS, this::agents);
    upstream(router, "/agents/:id", UpstreamSource.AGENTS, this::agent);

    upstream(
        router,
        "/microdao",
        UpstreamSource.MICRODAO,
        ctx -> authorized(ctx) ? ok(views.microdaos()) : unauthorized());
    upstream(router, "/internal/microdaos", UpstreamSource.MICRODAO, ctx -> notFound());
    upstream(router, "/microdao/:slug", UpstreamSource.MICRODAO, this::microdao);

    upstream(
        router,
        "/dao",
        UpstreamSource.DAO,
        ctx -> authorized(ctx) ? ok(views.daos()) : unauthorized());
    upstream(router, "/dao/:slug", UpstreamSource.DAO, this::daoOverview);

    upstream(router, "/internal/usage/summary", UpstreamSource.USAGE, this::usageSummary);
    upstream(
        router, "/internal/usage/agents", UpstreamSource.USAGE, ctx -> ok(views.usageAgents()));

    router.route("/_sim/*").handler(BodyHandler.create().setBodyLimit(64 * 1024));
    router.get("/_sim/faults").handler(ctx -> send(ctx, ok(faultsJson())));
    router.put("/_sim/faults/:source").handler(this::putFault);
    router
        .delete("/_sim/faults")
        .handler(
            ctx -> {
              faults.clear();
              send(ctx, ok(faultsJson()));
            });
    removal(router, "/_sim/agents/:id", network::removeAgent);
    removal(router, "/_sim/nodes/:id", network::removeNode);
    removal(router, "/_sim/microdaos/:id", network::removeMicrodao);
    removal(router, "/_sim/daos/:id", network::removeDao);

    router.route().last().handler(ctx -> send(ctx, notFound()));
    router.errorHandler(
        500,
        ctx -> {
          log.warn("simulator: handler failed for {}", ctx.request().path(), ctx.failure());
          if (!ctx.response().ended()) {
            send(ctx, error(500));
          }
        });
    return router;
  }

  private void upstream(
      Router router, String path, UpstreamSource source, Function<RoutingContext, Reply> render) {
    router.get(path).handler(ctx -> serve(ctx, source, render));
  }

  private void serve(
      RoutingContext ctx, UpstreamSource source, Function<RoutingContext, Reply> fn) {
    Fault fault = faults.get(source);
    switch (fault.mode()) {
      case NONE -> renderOffLoop(ctx, fn);
      case SLOW -> {
        long timer =
            vertx.setTimer(
                Math.max(1, fault.delayMs()),
                t -> {
                  if (!ctx.response().ended() && !ctx.response().closed()) {
                    send(ctx, render(fn, ctx));
                  }
                });
        ctx.response().closeHandler(v -> vertx.cancelTimer(timer));
      }
      case ERROR -> send(ctx, error(fault.status()));
      case GARBAGE ->
          ctx.response()
              .setStatusCode(200)
              .putHeader("content-type", JSON)
              .end("{\"items\": [{\"id\": \"node:03\", \"gpuLoad\": 0.7,, <html>garbage");
      case WRONG_SHAPE -> {
        Reply r = render(fn, ctx);
        send(ctx, new Reply(r.status(), reshape(r.body())));
      }
      case REFUSED -> ctx.request().connection().close();
      case FLAPPING -> {
        if (faults.flapFails(source, fault, System.currentTimeMillis())) {
          send(ctx, error(fault.status()));
        } else {
          send(ctx, render(fn, ctx));
        }
      }
    }
  }

  /**
   * Renders and serialises on a worker: at 100x DAARION one answer is megabytes of JSON built for
   * seconds, which on the event loop this server shares with the service's API and stream would
   * stall every connection on that loop.
   */
  private void renderOffLoop(RoutingContext ctx, Function<RoutingContext, Reply> fn) {
    vertx
        .executeBlocking(
            () -> {
              Reply r = render(fn, ctx);
              return new Object[] {r.status(), mapper.writeValueAsBytes(r.body())};
            },
            false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
              } else if (!ctx.response().ended() && !ctx.response().closed()) {
                ctx.response()
                    .setStatusCode((Integer) ar.result()[0])
                    .putHeader("content-type", JSON)
                    .end(Buffer.buffer((byte[]) ar.result()[1]));
              }
            });
  }

  /** Renders under the network's lock (serialisation happens after, outside it). */
  private Reply render(Function<RoutingContext, Reply> fn, RoutingContext ctx) {
    return network.locked(() -> fn.apply(ctx));
  }

  private void send(RoutingContext ctx, Reply reply) {
    byte[] bytes;
    try {
      bytes = mapper.writeValueAsBytes(reply.body());
    } catch (JsonProcessingException e) {
      ctx.fail(e);
      return;
    }
    ctx.response()
        .setStatusCode(reply.status())
        .putHeader("content-type", JSON)
        .end(Buffer.buffer(bytes));
  }

  // ---- endpoints with parameters ----

  private Reply agents(RoutingContext ctx) {
    boolean all = "false".equalsIgnoreCase(first(ctx, "is_active"));
    return ok(views.agents(all, first(ctx, "kind"), first(ctx, "microdao_id")));
  }

  private Reply agent(RoutingContext ctx) {
    SimEntities.Agent a = network.findAgent(ctx.pathParam("id"));
    return a == null ? detail(404, "Agent not found") : ok(views.agent(a));
  }

  /** {@code GET /microdao/{slug}} (slug, UUID or external id): one row of {@code /microdao}. */
  private Reply microdao(RoutingContext ctx) {
    if (!authorized(ctx)) {
      return unauthorized();
    }
    String id = ctx.pathParam("slug");
    for (JsonNode m : views.microdaos()) {
      if (id.equals(m.path("slug").asText())
          || id.equals(m.path("id").asText())
          || id.equals(m.path("external_id").asText())) {
        return ok(m);
      }
    }
    return detail(404, "MicroDAO not found");
  }

  /** {@code GET /public/nodes/{node_id}} ({@code node:gpu-07} or {@code gpu-07}): one profile. */
  private Reply publicNode(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    for (JsonNode n : views.publicNodes().path("items")) {
      String nodeId = n.path("node_id").asText();
      if (id.equals(nodeId) || ("node:" + id).equals(nodeId)) {
        return ok(n);
      }
    }
    return detail(404, "Node not found");
  }

  private Reply daoOverview(RoutingContext ctx) {
    if (!authorized(ctx)) {
      return unauthorized();
    }
    ObjectNode o = views.daoOverview(ctx.pathParam("slug"));
    return o == null ? detail(404, "DAO not found") : ok(o);
  }

  private Reply usageSummary(RoutingContext ctx) {
    String raw = first(ctx, "period_hours");
    int hours = 24;
    if (raw != null) {
      try {
        hours = Integer.parseInt(raw.trim());
      } catch (NumberFormatException e) {
        ObjectNode body = F.objectNode();
        ObjectNode d = body.putArray("detail").addObject();
        d.put("type", "int_parsing");
        d.putArray("loc").add("query").add("period_hours");
        d.put("msg", "Input should be a valid integer, unable to parse string as an integer");
        d.put("input", raw);
        return new Reply(422, body);
      }
    }
    return ok(views.usageSummary(Math.max(1, hours)));
  }

  private static String first(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    return values.isEmpty() ? null : values.get(0);
  }

  private boolean authorized(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    String given = header.substring(7).trim();
    return token.map(given::equals).orElse(!given.isEmpty());
  }

  // ---- control API ----

  private ObjectNode faultsJson() {
    ObjectNode o = F.objectNode();
    faults.all().forEach((name, f) -> o.set(name, mapper.valueToTree(f.toMap())));
    return o;
  }

  private void putFault(RoutingContext ctx) {
    try {
      String body = ctx.body().asString();
      Map<String, Object> map =
          mapper.readValue(
              body == null || body.isBlank() ? "{}" : body,
              new TypeReference<Map<String, Object>>() {});
      String source = ctx.pathParam("source");
      faults.set(source, Fault.fromMap(map));
      log.info("simulator: fault of {} set to {}", source, faults.get(source));
      send(ctx, ok(mapper.valueToTree(faults.get(source).toMap())));
    } catch (IllegalArgumentException | JsonProcessingException e) {
      send(ctx, detail(400, e.getMessage()));
    }
  }

  private void removal(Router router, String path, Function<String, Boolean> remove) {
    router
        .delete(path)
        .handler(
            ctx -> {
              boolean removed = remove.apply(ctx.pathParam("id"));
              send(ctx, removed ? ok(F.objectNode().put("removed", true)) : notFound());
            });
  }

  // ---- replies ----

  private static Reply ok(JsonNode body) {
    return new Reply(200, body);
  }

  private static Reply detail(int status, String message) {
    return new Reply(status, F.objectNode().put("detail", message));
  }

  private static Reply notFound() {
    return detail(404, "Not Found");
  }

  private static Reply unauthorized() {
    return detail(401, "Missing or invalid authorization header");
  }

  private static Reply error(int status) {
    return detail(
        status,
        switch (status) {
          case 502 -> "Bad Gateway";
          case 503 -> "Service Unavailable";
          case 504 -> "Gateway Timeout";
          default -> "Internal Server Error";
        });
  }

  /**
   * The {@code wrong_shape} fault: a list comes back wrapped in an object, an object with every key
   * renamed to {@code x_<key>} (recursively).
   */
  static JsonNode reshape(JsonNode body) {
    if (body.isArray()) {
      ObjectNode o = F.objectNode();
      o.set("results", body);
      o.put("count", body.size());
      return o;
    }
    return renameKeys(body);
  }

  private static JsonNode renameKeys(JsonNode node) {
    if (node.isObject()) {
      ObjectNode out = F.objectNode();
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        out.set("x_" + e.getKey(), renameKeys(e.getValue()));
      }
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = F.arrayNode();
      node.forEach(n -> out.add(renameKeys(n)));
      return out;
    }
    return node;
  }
}
