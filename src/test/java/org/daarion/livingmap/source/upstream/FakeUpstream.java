package org.daarion.livingmap.source.upstream;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.daarion.livingmap.config.UpstreamSource;

/**
 * A test-only stand-in for the six DAARION services on one real HTTP port, serving the fixture
 * files at the paths DAARION serves them (404 for the spec paths DAARION lacks). Any path prefix
 * can be switched to a fault: hang, HTTP 500, garbage, a wrong shape, a closed connection, or
 * flapping (every other request fails). Thread-safe: tests change it while the poller runs.
 */
final class FakeUpstream implements AutoCloseable {
  enum Fault {
    SLOW,
    ERROR_500,
    GARBAGE,
    WRONG_SHAPE,
    CLOSE,
    FLAPPING,
    /** Answers normally after 100 ms (for measuring how many requests run at once). */
    DELAY,
    /** A well-formed 200 JSON array of 4 MiB, sent in 64 KiB chunks without Content-Length. */
    HUGE,
    /** A 200 whose chunked body never ends: a 64 KiB chunk every millisecond until closed. */
    ENDLESS
  }

  /** One request as received. */
  record Request(String uri, String authorization) {}

  /** Path prefixes of each source, for switching a whole source to a fault. */
  static final Map<UpstreamSource, List<String>> PREFIXES =
      Map.of(
          UpstreamSource.CITY, List.of("/api/city/", "/city/", "/public/"),
          UpstreamSource.SPACE, List.of("/api/space/", "/space/"),
          UpstreamSource.AGENTS, List.of("/agents"),
          UpstreamSource.MICRODAO, List.of("/internal/microdaos", "/microdao"),
          UpstreamSource.DAO, List.of("/dao"),
          UpstreamSource.USAGE, List.of("/internal/usage/"));

  private final Vertx vertx;
  private final HttpServer server;
  private final Map<String, String> routes = new ConcurrentHashMap<>();
  private final Map<String, Fault> faults = new ConcurrentHashMap<>();
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> flaps = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
  private final AtomicInteger delayed = new AtomicInteger();
  private final AtomicInteger maxDelayed = new AtomicInteger();

  FakeUpstream(Vertx vertx) {
    this.vertx = vertx;
    defaults();
    try {
      server =
          vertx
              .createHttpServer()
              .requestHandler(this::handle)
              .listen(0, "127.0.0.1")
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("fake upstream did not start", e);
    }
  }

  private void defaults() {
    routes.put("/api/city/snapshot", fixture("city-service__api_city_snapshot.json"));
    routes.put("/city/microdao", fixture("city-service__city_microdao.json"));
    routes.put("/public/nodes", fixture("city-service__public_nodes.json"));
    routes.put(
        "/public/nodes/node-1-hetzner-gex44",
        new JsonObject(fixture("city-service__public_nodes.json"))
            .getJsonArray("items")
            .getJsonObject(0)
            .encode());
    routes.put("/space/planets", fixture("space-service__space_planets.json"));
    routes.put("/space/nodes", fixture("space-service__space_nodes.json"));
    String agents = fixture("agents-service__agents.json");
    routes.put("/agents", agents);
    routes.put("/agents?is_active=false", "[]");
    for (Object o : new JsonArray(agents)) {
      JsonObject a = (JsonObject) o;
      routes.put("/agents/" + a.getString("id"), a.encode());
    }
    routes.put("/microdao", fixture("microdao-service__microdao.json"));
    routes.put("/dao", fixture("dao-service__dao.json"));
    String overview = fixture("dao-service__dao_slug.json");
    routes.put("/dao/daarion-governance", overview);
    JsonObject energy = new JsonObject(overview);
    energy
        .put("members_count", 5)
        .put("active_proposals_count", 3)
        .put("total_proposals_count", 7)
        .put(
            "treasury_items",
            new JsonArray()
                .add(new JsonObject().put("token_symbol", "DAARION").put("balance", "500.5")));
    energy.getJsonObject("dao").put("slug", "energy-union-council");
    routes.put("/dao/energy-union-council", energy.encode());
    routes.put(
        "/internal/usage/summary?period_hours=24",
        fixture("usage-engine__internal_usage_summary.json"));
    routes.put("/internal/usage/agents", fixture("usage-engine__internal_usage_agents.json"));
    tokens.put("/microdao", "secret");
    tokens.put("/dao", "secret");
  }

  static String fixture(String name) {
    try (InputStream in = FakeUpstream.class.getResourceAsStream("/fixtures/upstream/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.actualPort());
  }

  /** Serves {@code body} at {@code uri} (path and query). */
  FakeUpstream route(String uri, String body) {
    routes.put(uri, body);
    return this;
  }

  /** Makes {@code uri} answer 404. */
  FakeUpstream remove(String uri) {
    routes.remove(uri);
    return this;
  }

  FakeUpstream fault(String prefix, Fault fault) {
    faults.put(prefix, fault);
    return this;
  }

  FakeUpstream fault(UpstreamSource source, Fault fault) {
    PREFIXES.get(source).forEach(p -> faults.put(p, fault));
    return this;
  }

  /** Ends every fault; hung requests are answered with 503. */
  FakeUpstream clearFaults() {
    faults.clear();
    for (HttpServerRequest r : held) {
      try {
        r.response().setStatusCode(503).end();
      } catch (RuntimeException ignored) {
        // the client gave up already
      }
    }
    held.clear();
    return this;
  }

  /** Requires {@code Authorization: Bearer <token>} under a prefix. */
  FakeUpstream requireToken(String prefix, String token) {
    tokens.put(prefix, token);
    return this;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  long count(String uri) {
    return requests.stream().filter(r -> r.uri().equals(uri)).count();
  }

  void resetRequests() {
    requests.clear();
  }

  private void handle(HttpServerRequest req) {
    String uri = req.uri();
    String path = req.path();
    requests.add(new Request(uri, req.getHeader("Authorization")));
    Fault fault = match(faults, path);
    if (fault != null) {
      switch (fault) {
        case SLOW -> {
          held.add(req);
          return;
        }
        case ERROR_500 -> {
          json(req, 500, "{\"detail\":\"Internal Server Error\"}");
          return;
        }
        case GARBAGE -> {
          json(req, 200, "<html><body>502 Bad Gateway</body></html>{{{");
          return;
        }
        case WRONG_SHAPE -> {
          json(req, 200, "{\"items\":42,\"unexpected\":{\"shape\":true}}");
          return;
        }
        case CLOSE -> {
          req.connection().close();
          return;
        }
        case HUGE -> {
          req.response().setChunked(true).putHeader("Content-Type", "application/json");
          io.vertx.core.buffer.Buffer chunk = io.vertx.core.buffer.Buffer.buffer();
          while (chunk.length() < 64 * 1024) {
            chunk.appendString("{\"id\":\"padding-padding\"},");
          }
          req.response().write("[");
          for (int i = 0; i < 64; i++) {
            req.response().write(chunk);
          }
          req.response().end("{}]");
          return;
        }
        case ENDLESS -> {
          req.response().setChunked(true).putHeader("Content-Type", "application/json");
          io.vertx.core.buffer.Buffer chunk =
              io.vertx.core.buffer.Buffer.buffer(new byte[64 * 1024]);
          req.response().write("[\"");
          long timer =
              vertx.setPeriodic(
                  1,
                  t -> {
                    if (!req.response().writeQueueFull()) {
                      req.response().write(chunk);
                    }
                  });
          req.connection().closeHandler(v -> vertx.cancelTimer(timer));
          return;
        }
        case DELAY -> {
          maxDelayed.accumulateAndGet(delayed.incrementAndGet(), Math::max);
          vertx.setTimer(
              100,
              t -> {
                delayed.decrementAndGet();
                answer(req, uri, path);
              });
          return;
        }
        case FLAPPING -> {
          if (flaps.computeIfAbsent(uri, k -> new AtomicInteger()).getAndIncrement() % 2 == 0) {
            json(req, 500, "{\"detail\":\"flap\"}");
            return;
          }
        }
      }
    }
    answer(req, uri, path);
  }

  /** The most requests under a {@link Fault#DELAY} fault that were open at once. */
  int maxConcurrentDelayed() {
    return maxDelayed.get();
  }

  private void answer(HttpServerRequest req, String uri, String path) {
    String token = match(tokens, path);
    if (token != null && !("Bearer " + token).equals(req.getHeader("Authorization"))) {
      json(req, 401, fixture("microdao-service__unauthorized.json"));
      return;
    }
    String body = routes.get(uri);
    if (body == null && req.query() == null) {
      body = routes.get(path);
    }
    if (body == null) {
      json(req, 404, "{\"detail\":\"Not Found\"}");
      return;
    }
    json(req, 200, body);
  }

  private static <T> T match(Map<String, T> byPrefix, String path) {
    T best = null;
    int bestLength = -1;
    for (Map.Entry<String, T> e : byPrefix.entrySet()) {
      String p = e.getKey();
      boolean matches =
          p.endsWith("/") ? path.startsWith(p) : path.equals(p) || path.startsWith(p + "/");
      if (matches && p.length() > bestLength) {
        best = e.getValue();
        bestLength = p.length();
      }
    }
    return best;
  }

  private static void json(HttpServerRequest req, int status, String body) {
    req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body);
  }

  @Override
  public void close() {
    clearFaults();
    server.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
  }
}
