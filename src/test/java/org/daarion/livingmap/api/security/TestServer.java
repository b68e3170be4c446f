package org.daarion.livingmap.api.security;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.daarion.livingmap.api.EntityRoutes;
import org.daarion.livingmap.api.HealthRoutes;
import org.daarion.livingmap.api.SnapshotRoutes;
import org.daarion.livingmap.api.http.ApiServer;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;

/**
 * A real HTTP server built like {@code Application.build()} does (state owner, live state, snapshot
 * service, the existing route groups) with the security chain and metrics from a config, plus an
 * optional test WebSocket endpoint at {@code /living-map/stream} that uses the stream hooks
 * (principal, {@link StreamGuard}, {@link SocketExpiry}) the way the real stream endpoint will.
 */
final class TestServer implements AutoCloseable {
  final Vertx vertx = Vertx.vertx();
  final Config config;
  final StateOwner owner;
  final LiveState state;
  final SnapshotService snapshots;
  final Metrics metrics = new Metrics();
  final Security security;
  final ApiServer api;
  final int port;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  TestServer(Map<String, String> env, boolean withStream) {
    config = Config.of(env);
    state = new LiveState("test", 0);
    owner = new StateOwner(state, 65_536, Clock.systemUTC());
    owner.start();
    snapshots =
        new SnapshotService(
            owner,
            Executors.newSingleThreadExecutor(),
            () -> new JsonObject().put("version", "test"));
    security = Security.create(vertx, config, Clock.systemUTC(), metrics);
    List<RouteGroup> groups = new ArrayList<>(routeGroups());
    if (withStream) {
      groups.add(this::mountStream);
    }
    api = new ApiServer(vertx, config.with(Map.of("PORT", "0")), "test", groups, security, metrics);
    port = api.start().await();
  }

  /** The existing route groups, as Application mounts them. */
  List<RouteGroup> routeGroups() {
    return List.of(
        new HealthRoutes("test", List.of(), Clock.systemUTC()),
        security.snapshotGuard(snapshots::prepared),
        new SnapshotRoutes(snapshots, null),
        new EntityRoutes(state, null));
  }

  static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  void seed() throws InterruptedException {
    owner.submit(
        Event.incoming(
            "node.metrics.gpu-1",
            new JsonObject().put("node_id", "gpu-1").put("cpu", 0.5).put("gpu", 0.7),
            Instant.now(),
            null,
            null));
    owner.submit(
        Event.incoming(
            "agent.event.status",
            new JsonObject().put("agent_id", "agent:sofia").put("status", "online"),
            Instant.now(),
            null,
            null));
    org.awaitility.Awaitility.await().until(() -> owner.queueDepth() == 0 && state.size() >= 2);
  }

  private void mountStream(Router router) {
    router
        .get("/living-map/stream")
        .handler(
            ctx -> {
              Principal p = Principal.of(ctx);
              StreamGuard.Admission a =
                  security.streams().admit(security.clientKey(p, ctx.request()));
              if (!a.ok()) {
                ctx.response()
                    .setStatusCode(a.status())
                    .putHeader("Retry-After", Long.toString(a.retryAfterSeconds()))
                    .end(Errors.body(a.code(), a.reason()).encode());
                return;
              }
              ctx.request()
                  .toWebSocket()
                  .onSuccess(
                      ws -> {
                        long timer = security.closeOnExpiry(ws, p);
                        ws.closeHandler(
                            v -> {
                              a.ticket().release();
                              vertx.cancelTimer(timer);
                            });
                        ws.writeTextMessage(
                            new JsonObject()
                                .put("kind", "hello")
                                .put("subject", p.subject())
                                .encode());
                        ws.textMessageHandler(
                            m -> {
                              if (!a.ticket().allowFrame()) {
                                ws.close(StreamGuard.CLOSE_RATE_LIMITED, "too many frames");
                                return;
                              }
                              ws.writeTextMessage(
                                  new JsonObject()
                                      .put("kind", "echo")
                                      .put("subject", p.subject())
                                      .put("size", m.length())
                                      .encode());
                            });
                      })
                  .onFailure(e -> a.ticket().release());
            });
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  HttpResponse<String> get(String path, String... headers) {
    return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
  }

  HttpResponse<String> post(String path, String body, String... headers) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json"),
        headers);
  }

  HttpResponse<String> send(HttpRequest.Builder b, String... headers) {
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return http.send(
          b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    api.stop().await();
    owner.close();
    metrics.close();
    vertx.close().await();
  }
}
