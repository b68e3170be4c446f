package org.daarion.livingmap.visibility;

import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;

/**
 * The assembled service (real PostgreSQL, the built-in simulator feeding a small network with DAOs,
 * microDAOs, nodes, agents, channels, alerts) with API keys and JWTs on and per-layer roles, and
 * the oracle the visibility tests share: the ids (and upstream UUIDs) of every entity on a layer a
 * caller may not see, collected through an admin's eyes.
 */
final class VisibilityWorld implements AutoCloseable {
  static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";
  static final String[] ADMIN = {"X-API-Key", "admin-key"};
  static final String[] READER = {"X-API-Key", "reader-key"};
  static final String[] OPS = {"X-API-Key", "ops-key"};

  private static final Pattern UUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /** Every GET route a reader may call, with parameters that make them answer with data. */
  static final List<String> ROUTES =
      List.of(
          "/living-map",
          "/living-map/health",
          "/living-map/snapshot",
          "/living-map/snapshots",
          "/living-map/entities?limit=500",
          "/living-map/entities?limit=500&q=a",
          "/living-map/entities/facets",
          "/living-map/history?limit=1000",
          "/living-map/history/stats",
          "/living-map/rejected",
          "/living-map/sources",
          "/living-map/graph",
          "/living-map/alerts",
          "/living-map/alerts?state=all",
          "/living-map/alerts/rules",
          "/living-map/alerts/dead-letters",
          "/living-map/silences",
          "/metrics");

  final Application app;
  final Http http;
  final Vertx vertx = Vertx.vertx();
  final String layerRoles;

  VisibilityWorld(String layerRoles) throws Exception {
    this(layerRoles, 200);
  }

  /** {@code minHistory}: events stored before the world counts as ready. */
  VisibilityWorld(String layerRoles, long minHistory) throws Exception {
    this(layerRoles, minHistory, Map.of());
  }

  /** {@code extra}: settings over the world's own (e.g. a faster simulator). */
  VisibilityWorld(String layerRoles, long minHistory, Map<String, String> extra) throws Exception {
    this.layerRoles = layerRoles;
    String keys =
        "reader:"
            + sha256("reader-key")
            + ",ops:"
            + sha256("ops-key")
            + ":living-map:read|living-map:ops"
            + ",agents:"
            + sha256("agents-key")
            + ":living-map:read|living-map:agents"
            + ",admin:"
            + sha256("admin-key")
            + ":living-map:admin";
    app =
        TestApps.start(
            TestApps.config(
                merged(
                    extra,
                    Map.ofEntries(
                        Map.entry("LIVING_MAP_SIMULATOR", "on"),
                        Map.entry("LIVING_MAP_SIM_NODES", "6"),
                        Map.entry("LIVING_MAP_SIM_AGENTS", "12"),
                        Map.entry("LIVING_MAP_SIM_DAOS", "3"),
                        Map.entry("LIVING_MAP_SIM_MICRODAOS", "3"),
                        Map.entry("LIVING_MAP_SIM_CHANNELS", "4"),
                        Map.entry("LIVING_MAP_SIM_RATE", "200"),
                        Map.entry("LIVING_MAP_AUTH", "jwt,apikey"),
                        Map.entry("LIVING_MAP_JWT_SECRET", SECRET),
                        Map.entry("LIVING_MAP_API_KEYS", keys),
                        Map.entry("LIVING_MAP_RATE_LIMIT", "off"),
                        Map.entry("LIVING_MAP_WS_CONNECT_RATE", "off"),
                        Map.entry("LIVING_MAP_LAYER_ROLES", layerRoles)))));
    http = new Http(app.port());
    // A network worth hiding: nodes and agents, DAOs orbited by nodes, history, a stored snapshot.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              JsonObject s = http.get("/living-map/snapshot", ADMIN).json();
              JsonObject layers = s.getJsonObject("layers");
              return layers.getJsonObject("nodes").getJsonArray("items").size() >= 6
                  && layers.getJsonObject("agents").getJsonArray("items").size() >= 12
                  && !layers.getJsonObject("space").getJsonArray("planets").isEmpty()
                  && http.get("/living-map/history?limit=1", ADMIN).json().getLong("total", 0L)
                      > minHistory
                  && !http.get("/living-map/snapshots", ADMIN)
                      .json()
                      .getJsonArray("items", new JsonArray())
                      .isEmpty();
            });
  }

  private static Map<String, String> merged(Map<String, String> over, Map<String, String> base) {
    Map<String, String> out = new java.util.HashMap<>(base);
    out.putAll(over);
    return out;
  }

  static String sha256(String key) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  static String jwt(String subject, String... roles) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header =
        b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    JsonObject claims =
        new JsonObject()
            .put("sub", subject)
            .put("iss", "daarion-auth")
            .put("roles", new JsonArray(List.of((Object[]) roles)))
            .put("iat", Instant.now().getEpochSecond())
            .put("exp", Instant.now().plusSeconds(600).getEpochSecond());
    String payload = b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature =
        b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8)));
    return header + "." + payload + "." + signature;
  }

  /**
   * What a caller without {@code hiddenTypes} must never see: the ids of those entities, and every
   * upstream UUID found in their admin detail, both now and in the stored history of events about
   * them.
   */
  Set<String> hiddenIds(Set<String> hiddenTypes) {
    Set<String> out = new LinkedHashSet<>();
    for (String type : hiddenTypes) {
      JsonArray items =
          http.get("/living-map/entities?limit=500&type=" + type, ADMIN)
              .json()
              .getJsonArray("items");
      for (Object o : items) {
        String id = ((JsonObject) o).getString("id");
        out.add(id);
        String detail = http.get("/living-map/entities/" + enc(id), ADMIN).body();
        Matcher m = UUID.matcher(detail);
        while (m.find()) {
          // Only the UUIDs that name a hidden entity (not the microDAO a node belongs to).
          Http.Response byAlias = http.get("/living-map/entities/" + m.group(), ADMIN);
          if (byAlias.status() == 200 && hiddenTypes.contains(byAlias.json().getString("type"))) {
            out.add(m.group());
          }
        }
      }
    }
    return out;
  }

  /** The visible DAOs and microDAOs, whose detail pages may name hidden entities. */
  List<String> ids(String type) {
    List<String> out = new ArrayList<>();
    for (Object o :
        http.get("/living-map/entities?limit=500&type=" + type, ADMIN)
            .json()
            .getJsonArray("items")) {
      out.add(((JsonObject) o).getString("id"));
    }
    return out;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The hidden ids that occur in {@code body}. */
  static List<String> leaks(String body, Set<String> hidden) {
    List<String> found = new ArrayList<>();
    for (String h : hidden) {
      if (body.contains(h)) {
        found.add(h);
      }
    }
    return found;
  }

  /** A stream socket collecting its text frames. */
  final class Socket implements AutoCloseable {
    final List<JsonObject> frames = new CopyOnWriteArrayList<>();
    final List<String> raw = new CopyOnWriteArrayList<>();
    final WebSocket ws;

    // Held for the socket's lifetime: Vert.x 5 closes a client that becomes unreachable, and with
    // it the socket (with 1000, mid-replay: a whole-suite run, with more collections, lost a resume
    // that way while an isolated run passed).
    private final WebSocketClient client;

    Socket(String query, String... headers) throws Exception {
      WebSocketConnectOptions o =
          new WebSocketConnectOptions()
              .setHost("127.0.0.1")
              .setPort(app.port())
              .setURI("/living-map/stream" + query);
      for (int i = 0; i + 1 < headers.length; i += 2) {
        o.addHeader(headers[i], headers[i + 1]);
      }
      // Vert.x's default message limit (256 KiB) would drop a larger snapshot without a word.
      client =
          vertx.createWebSocketClient(
              new io.vertx.core.http.WebSocketClientOptions()
                  .setMaxMessageSize(64 * 1024 * 1024)
                  .setMaxFrameSize(64 * 1024 * 1024));
      // Handlers are set where the connect completes, on the event loop: set after get() on this
      // thread, they missed what came first. A resume's whole replay and its "resumed" frame can
      // come in that gap (seen in CI: an ops socket whose first frame was live event 398).
      ws =
          client
              .connect(o)
              .map(
                  w -> {
                    w.textMessageHandler(
                        t -> {
                          raw.add(t);
                          try {
                            frames.add(new JsonObject(t));
                          } catch (RuntimeException e) {
                            failures.add("not JSON: " + t.substring(0, Math.min(200, t.length())));
                          }
                        });
                    w.closeHandler(v -> closed = w.closeStatusCode() + " " + w.closeReason());
                    w.exceptionHandler(err -> failures.add(err.toString()));
                    return w;
                  })
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
    }

    /** What the client failed to take (a message over its limit, say). */
    final List<String> failures = new CopyOnWriteArrayList<>();

    /** How the server closed the socket ("code reason"), or null while it is open. */
    volatile String closed;

    /** What the socket saw, for a failure message: frame kinds in order (runs collapsed). */
    String seen() {
      StringBuilder b = new StringBuilder();
      String last = null;
      int run = 0;
      for (JsonObject f : frames) {
        String k =
            f.getString("kind")
                + ("snapshot".equals(f.getString("kind")) ? "/" + f.getString("reason") : "");
        if (k.equals(last)) {
          run++;
          continue;
        }
        if (last != null) {
          b.append(last).append(run > 1 ? "x" + run : "").append(' ');
        }
        last = k;
        run = 1;
      }
      if (last != null) {
        b.append(last).append(run > 1 ? "x" + run : "");
      }
      StringBuilder first = new StringBuilder();
      for (int i = 0; i < Math.min(3, raw.size()); i++) {
        String t = raw.get(i);
        first.append("\n  ").append(t, 0, Math.min(160, t.length()));
      }
      return frames.size()
          + " frames ["
          + b
          + "], closed: "
          + closed
          + ", failures: "
          + failures
          + ", first:"
          + first;
    }

    long events() {
      return frames.stream().filter(f -> "event".equals(f.getString("kind"))).count();
    }

    List<JsonObject> kind(String kind) {
      return frames.stream().filter(f -> kind.equals(f.getString("kind"))).toList();
    }

    @Override
    public void close() {
      ws.close();
      client.close();
    }
  }

  @Override
  public void close() {
    app.close();
    vertx.close();
  }
}
