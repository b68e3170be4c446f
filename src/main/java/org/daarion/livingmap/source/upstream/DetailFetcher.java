package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.daarion.livingmap.config.UpstreamSource;

/**
 * The owning service's own view of one entity, for the entity detail route: {@code /agents/{uuid}}
 * (agents-service), {@code /dao/{slug}} (dao-service), {@code /microdao/{slug}} (microdao-service),
 * {@code /public/nodes/{node_id}} (city-service). Answers are cached for a short time; concurrent
 * asks for one entity share one request. Never fails: on error the last cached answer comes back
 * marked {@code stale}, or {@code {error, stale: true}}. No retries and no call while the source's
 * circuit is open, so a detail page never waits on a dead service longer than one timeout. Used on
 * the poller's context only.
 */
final class DetailFetcher {
  /** Where an entity's detail lives. */
  record Target(UpstreamSource source, String path) {}

  /** What the fetcher needs of a source. */
  interface Sources {
    /** The source's client, or null when it is not configured. */
    UpstreamHttp http(UpstreamSource source);

    boolean circuitOpen(UpstreamSource source);
  }

  private static final int MAX_ENTRIES = 1000;

  private record Cached(JsonObject value, Instant at) {}

  private final Sources sources;
  private final Duration ttl;
  private final Clock clock;
  private final Map<String, Future<JsonObject>> inflight = new HashMap<>();
  private final Map<String, Cached> cache =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  DetailFetcher(Sources sources, Duration ttl, Clock clock) {
    this.sources = sources;
    this.ttl = ttl;
    this.clock = clock;
  }

  static Target target(String type, String id, JsonObject data, JsonObject extra) {
    String raw = id == null ? null : id.substring(id.indexOf(':') + 1);
    JsonObject d = data == null ? new JsonObject() : data;
    JsonObject x = extra == null ? new JsonObject() : extra;
    return switch (type == null ? "" : type) {
      case "agent" ->
          new Target(UpstreamSource.AGENTS, "/agents/" + enc(first(x.getValue("uuid"), raw)));
      case "dao" -> new Target(UpstreamSource.DAO, "/dao/" + enc(first(d.getValue("slug"), raw)));
      case "microdao" ->
          new Target(UpstreamSource.MICRODAO, "/microdao/" + enc(first(d.getValue("slug"), raw)));
      case "node" -> new Target(UpstreamSource.CITY, "/public/nodes/" + enc(raw));
      default -> null;
    };
  }

  Future<JsonObject> get(String type, String id, JsonObject data, JsonObject extra) {
    Target t = id == null ? null : target(type, id, data, extra);
    if (t == null) {
      return Future.succeededFuture(
          new JsonObject()
              .put("available", false)
              .put("reason", "no upstream detail endpoint for " + type));
    }
    UpstreamHttp http = sources.http(t.source());
    String source = t.source().serviceName();
    if (http == null) {
      return Future.succeededFuture(unavailable(source, t.path(), "source not configured", null));
    }
    String key = t.source().name() + t.path();
    Instant now = clock.instant();
    Cached c = cache.get(key);
    if (c != null && Duration.between(c.at(), now).compareTo(ttl) < 0) {
      return Future.succeededFuture(c.value());
    }
    if (sources.circuitOpen(t.source())) {
      return Future.succeededFuture(unavailable(source, t.path(), "circuit open", c));
    }
    Future<JsonObject> running = inflight.get(key);
    if (running != null) {
      return running;
    }
    Future<JsonObject> f =
        http.get(t.path(), false)
            .map(
                reply -> {
                  if (reply.notFound()) {
                    throw UpstreamException.http(t.path(), reply.status(), http.tokenSet());
                  }
                  JsonObject value =
                      new JsonObject()
                          .put("source", source)
                          .put("path", t.path())
                          .put("fetched_at", clock.instant().toString())
                          .put("stale", false)
                          .put("data", reply.json());
                  cache.put(key, new Cached(value, clock.instant()));
                  return value;
                })
            .recover(
                err ->
                    Future.succeededFuture(
                        unavailable(
                            source,
                            t.path(),
                            Adapter.asUpstream(err).getMessage(),
                            cache.get(key))))
            .andThen(ar -> inflight.remove(key));
    if (!f.isComplete()) {
      inflight.put(key, f);
    }
    return f;
  }

  private static JsonObject unavailable(String source, String path, String error, Cached last) {
    if (last != null) {
      return last.value().copy().put("stale", true).put("error", error);
    }
    return new JsonObject()
        .put("source", source)
        .put("path", path)
        .put("error", error)
        .put("stale", true);
  }

  private static String first(Object preferred, String fallback) {
    return preferred instanceof String s && !s.isBlank() ? s : fallback;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
