package org.daarion.livingmap.stream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.wire.VertxInternals;

/**
 * {@code GET /living-map/stream}: upgrades to a WebSocket and serves the stream (frames in {@link
 * Frames}, close codes in {@link CloseCodes}, everything in {@code docs/STREAM.md}).
 *
 * <p>Query parameters, all optional: {@code layers}, {@code types}, {@code entities}, {@code
 * events} (comma-separated filters, see {@link StreamFilter}); {@code since_seq} and {@code epoch}
 * (resume; both or neither); {@code max_rate} (milliseconds, 0 = off: coalesce {@code
 * node.metrics.*} to at most one per entity per interval); {@code batch} ({@code 1}: the events of
 * one drain arrive as newline-separated JSON objects in one text message; {@code 0}, the default:
 * one object per message). An invalid value refuses the upgrade with HTTP 400 and a JSON body
 * naming the parameter; over the connection cap the answer is HTTP 503; an authenticator that fails
 * gives 401.
 *
 * <p>Mount with {@code router.get("/living-map/stream").handler(endpoint::handle)} or call {@link
 * #handle(HttpServerRequest)} from a plain request handler. Runs on the request's event loop and
 * never blocks it.
 */
public final class StreamEndpoint {
  /**
   * Limits and timings of connections.
   *
   * @param pingInterval WebSocket ping frame and JSON {@code ping} to every client
   * @param idleTimeout close 4000 when nothing at all came from the client for this long (checked
   *     at each ping)
   * @param queueCapacity frames one connection may have queued before it overflows (resync)
   * @param maxConnections connections served at once; more get HTTP 503
   * @param resumeWindow how long a new connection without {@code since_seq} waits for a first
   *     {@code resume} op before it is sent the snapshot (any first message ends the wait)
   * @param maxClientMessageBytes client messages above this get an error frame
   * @param badFrameLimit more bad client messages than this within {@code floodWindow}: close 1008
   * @param messageLimit more client messages of any kind than this within {@code floodWindow}: 1008
   * @param maxOverflows this many queue overflows within {@code overflowWindow}: close 4001
   * @param resyncTimeout a resync waiting this long for an unwritable socket: close 4001
   * @param queueBytes bytes of frames one connection may have queued before it overflows (resync)
   */
  public record Settings(
      Duration pingInterval,
      Duration idleTimeout,
      int queueCapacity,
      int maxConnections,
      Duration resumeWindow,
      int maxClientMessageBytes,
      int badFrameLimit,
      int messageLimit,
      Duration floodWindow,
      int maxOverflows,
      Duration overflowWindow,
      Duration resyncTimeout,
      long queueBytes) {

    /** 4 MiB: the default of {@code LIVING_MAP_WS_QUEUE_BYTES}. */
    public static final long QUEUE_BYTES = 4L * 1024 * 1024;

    /** Settings with the default byte bound of a connection's queue. */
    public Settings(
        Duration pingInterval,
        Duration idleTimeout,
        int queueCapacity,
        int maxConnections,
        Duration resumeWindow,
        int maxClientMessageBytes,
        int badFrameLimit,
        int messageLimit,
        Duration floodWindow,
        int maxOverflows,
        Duration overflowWindow,
        Duration resyncTimeout) {
      this(
          pingInterval,
          idleTimeout,
          queueCapacity,
          maxConnections,
          resumeWindow,
          maxClientMessageBytes,
          badFrameLimit,
          messageLimit,
          floodWindow,
          maxOverflows,
          overflowWindow,
          resyncTimeout,
          QUEUE_BYTES);
    }

    /** 250 ms: long enough for a client's first message on a fresh connection, short for people. */
    public static final Duration RESUME_WINDOW = Duration.ofMillis(250);

    /** 64 KiB: ops are a few hundred bytes; a filter of 1,000 entity ids fits. */
    public static final int MAX_CLIENT_MESSAGE = 64 * 1024;

    public static Settings from(Config config) {
      return new Settings(
          config.wsPingInterval,
          config.wsPingInterval.multipliedBy(2),
          config.wsQueue,
          config.wsMaxConnections,
          RESUME_WINDOW,
          MAX_CLIENT_MESSAGE,
          20,
          200,
          Duration.ofSeconds(10),
          3,
          Duration.ofMinutes(1),
          Duration.ofSeconds(10).compareTo(config.wsPingInterval) > 0
              ? Duration.ofSeconds(10)
              : config.wsPingInterval,
          config.wsQueueBytes);
    }

    public Settings withPing(Duration ping, Duration idle) {
      return new Settings(
          ping,
          idle,
          queueCapacity,
          maxConnections,
          resumeWindow,
          maxClientMessageBytes,
          badFrameLimit,
          messageLimit,
          floodWindow,
          maxOverflows,
          overflowWindow,
          resyncTimeout,
          queueBytes);
    }

    public Settings withQueueBytes(long bytes) {
      return new Settings(
          pingInterval,
          idleTimeout,
          queueCapacity,
          maxConnections,
          resumeWindow,
          maxClientMessageBytes,
          badFrameLimit,
          messageLimit,
          floodWindow,
          maxOverflows,
          overflowWindow,
          resyncTimeout,
          bytes);
    }

    public Settings withQueue(int capacity) {
      return new Settings(
          pingInterval,
          idleTimeout,
          capacity,
          maxConnections,
          resumeWindow,
          maxClientMessageBytes,
          badFrameLimit,
          messageLimit,
          floodWindow,
          maxOverflows,
          overflowWindow,
          resyncTimeout,
          queueBytes);
    }

    public Settings withMaxConnections(int max) {
      return new Settings(
          pingInterval,
          idleTimeout,
          queueCapacity,
          max,
          resumeWindow,
          maxClientMessageBytes,
          badFrameLimit,
          messageLimit,
          floodWindow,
          maxOverflows,
          overflowWindow,
          resyncTimeout,
          queueBytes);
    }

    public Settings withResumeWindow(Duration window) {
      return new Settings(
          pingInterval,
          idleTimeout,
          queueCapacity,
          maxConnections,
          window,
          maxClientMessageBytes,
          badFrameLimit,
          messageLimit,
          floodWindow,
          maxOverflows,
          overflowWindow,
          resyncTimeout,
          queueBytes);
    }

    public Settings withResyncTimeout(Duration timeout) {
      return new Settings(
          pingInterval,
          idleTimeout,
          queueCapacity,
          maxConnections,
          resumeWindow,
          maxClientMessageBytes,
          badFrameLimit,
          messageLimit,
          floodWindow,
          maxOverflows,
          overflowWindow,
          timeout);
    }
  }

  /**
   * Decides whether a request may open the stream (issue 7, auth): succeed to accept, fail to
   * refuse with 401. Runs on the event loop; must not block.
   */
  @FunctionalInterface
  public interface Authenticator {
    Future<?> authenticate(HttpServerRequest request);
  }

  /** Frames with {@code max_rate} below this are refused: coalescing that often saves nothing. */
  public static final long MIN_RATE_MS = 10;

  public static final long MAX_RATE_MS = 60_000;

  private final Vertx vertx;
  private final Settings settings;
  private final StreamHub hub;
  private final StreamStats stats;
  private final Authenticator authenticator;
  private final Clock clock;
  private final AtomicLong ids = new AtomicLong();
  private final Set<StreamConnection> open = ConcurrentHashMap.newKeySet();

  /**
   * One per event loop context, never per connection: each holds its event loop's compressed-frame
   * cache, and keyed by a request's duplicated context the map grew by one per connection ever made
   * (at 100x, 100 deflating sockets' caches filled the heap).
   */
  private final ConcurrentHashMap<Context, ContextDrainer> drainers = new ConcurrentHashMap<>();

  /** The endpoint as configured, without auth. */
  public StreamEndpoint(Vertx vertx, Config config, StreamHub hub) {
    this(vertx, Settings.from(config), hub, null, Clock.systemUTC());
  }

  /**
   * @param authenticator null to accept everyone
   */
  public StreamEndpoint(
      Vertx vertx, Settings settings, StreamHub hub, Authenticator authenticator, Clock clock) {
    this.vertx = vertx;
    this.settings = settings;
    this.hub = hub;
    this.stats = hub.stats();
    this.authenticator = authenticator;
    this.clock = clock;
  }

  /**
   * Server options the stream needs: client messages up to 1 MiB reach the endpoint (which answers
   * those over 64 KiB with an error frame; larger ones the transport closes with 1009), and no
   * per-message deflate, which would compress the shared frame bytes once per socket.
   */
  public static HttpServerOptions serverOptions(HttpServerOptions options) {
    return serverOptions(options, false);
  }

  /**
   * As {@link #serverOptions(HttpServerOptions)}, offering permessage-deflate when {@code
   * compression}: the connect snapshot is then sent compressed once per prepared version for every
   * socket (see {@code StreamWriter#sendDeflated}); live events are compressed by each socket's
   * encoder (per socket: that is what the extension's shared window costs), and batched frames go
   * uncompressed.
   */
  public static HttpServerOptions serverOptions(HttpServerOptions options, boolean compression) {
    return options
        .setMaxWebSocketFrameSize(1024 * 1024)
        .setMaxWebSocketMessageSize(1024 * 1024)
        .setPerMessageWebSocketCompressionSupported(compression)
        .setPerFrameWebSocketCompressionSupported(false);
  }

  /** How many event loop contexts have drained connections (for tests: bounded by event loops). */
  int drainerContexts() {
    return drainers.size();
  }

  public StreamStats stats() {
    return stats;
  }

  public Settings settings() {
    return settings;
  }

  /** For a Vert.x Web route: {@code router.get("/living-map/stream").handler(endpoint::handle)}. */
  public void handle(RoutingContext ctx) {
    handle(ctx.request());
  }

  public void handle(HttpServerRequest req) {
    handle(req, StreamSession.NONE);
  }

  /** Like {@link #handle(HttpServerRequest)}, with the caller's security session. */
  public void handle(HttpServerRequest req, StreamSession session) {
    String upgrade = req.getHeader("Upgrade");
    if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      req.response().putHeader("Upgrade", "websocket");
      refuse(req, 426, "this is a WebSocket endpoint: connect with a WebSocket upgrade", null);
      session.closed();
      return;
    }
    StreamFilter filter;
    long sinceSeq = -1;
    String epoch;
    long maxRate = 0;
    boolean batch;
    try {
      filter =
          StreamFilter.fromQuery(
              req.getParam("layers"),
              req.getParam("types"),
              req.getParam("entities"),
              req.getParam("events"));
      String since = req.getParam("since_seq");
      epoch = req.getParam("epoch");
      if (since != null && !since.isBlank()) {
        sinceSeq = parseLong("since_seq", since, 0, Long.MAX_VALUE);
        if (epoch == null || epoch.isBlank()) {
          throw new StreamFilter.InvalidFilter("epoch", "required with since_seq");
        }
      } else if (epoch != null && !epoch.isBlank()) {
        throw new StreamFilter.InvalidFilter("since_seq", "required with epoch");
      }
      String rate = req.getParam("max_rate");
      if (rate != null && !rate.isBlank()) {
        maxRate = parseLong("max_rate", rate, 0, MAX_RATE_MS);
        if (maxRate > 0 && maxRate < MIN_RATE_MS) {
          throw new StreamFilter.InvalidFilter(
              "max_rate", "must be 0 (off) or " + MIN_RATE_MS + ".." + MAX_RATE_MS + " ms");
        }
      }
      batch = parseLong("batch", req.getParam("batch", "0"), 0, 1) == 1;
    } catch (StreamFilter.InvalidFilter e) {
      stats.rejectedBadRequest.increment();
      refuse(req, 400, e.getMessage(), e.parameter());
      session.closed();
      return;
    }
    if (stats.connections.incrementAndGet() > settings.maxConnections()) {
      stats.connections.decrementAndGet();
      stats.rejectedCap.increment();
      req.response().putHeader("Retry-After", "5");
      refuse(req, 503, "too many stream connections (" + settings.maxConnections() + ")", null);
      session.closed();
      return;
    }
    long since = sinceSeq;
    long rate = maxRate;
    if (authenticator == null) {
      upgrade(req, filter, epoch, since, rate, batch, session);
      return;
    }
    req.pause();
    Future<?> auth;
    try {
      auth = authenticator.authenticate(req);
    } catch (RuntimeException e) {
      auth = Future.failedFuture(e);
    }
    auth.onComplete(
        ar -> {
          if (ar.failed()) {
            stats.connections.decrementAndGet();
            stats.rejectedAuth.increment();
            refuse(req, 401, "unauthorized", null);
            session.closed();
          } else {
            req.resume();
            upgrade(req, filter, epoch, since, rate, batch, session);
          }
        });
  }

  private void upgrade(
      HttpServerRequest req,
      StreamFilter filter,
      String epoch,
      long sinceSeq,
      long maxRate,
      boolean batch,
      StreamSession session) {
    req.toWebSocket()
        .onSuccess(
            ws -> {
              stats.connectionsTotal.increment();
              Context ctx = vertx.getOrCreateContext();
              StreamConnection[] self = new StreamConnection[1];
              StreamConnection c =
                  new StreamConnection(
                      ids.incrementAndGet(),
                      vertx,
                      ctx,
                      ws,
                      hub,
                      stats,
                      settings,
                      clock,
                      filter,
                      maxRate,
                      batch,
                      VertxInternals.rawSocket(ws, req),
                      drainers.computeIfAbsent(
                          VertxInternals.eventLoopContext(ctx), k -> new ContextDrainer(k, stats)),
                      () -> {
                        open.remove(self[0]);
                        stats.connections.decrementAndGet();
                        session.closed();
                      },
                      session);
              self[0] = c;
              open.add(c);
              session.opened(ws);
              c.start(epoch, sinceSeq);
            })
        .onFailure(
            err -> {
              stats.connections.decrementAndGet();
              session.closed();
            });
  }

  /** Closes every connection with 1001 (server shutting down). */
  public void closeAll() {
    for (StreamConnection c : List.copyOf(open)) {
      c.closeOnContext(CloseCodes.GOING_AWAY, "server shutting down");
    }
  }

  /** Queue lengths of open connections (for tests and diagnostics). */
  public List<Integer> queueDepths() {
    List<Integer> out = new ArrayList<>();
    for (StreamConnection c : open) {
      out.add(c.depth());
    }
    return out;
  }

  private static long parseLong(String name, String value, long min, long max) {
    try {
      long v = Long.parseLong(value.trim());
      if (v < min || v > max) {
        throw new StreamFilter.InvalidFilter(name, "must be in " + min + ".." + max);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new StreamFilter.InvalidFilter(name, "not an integer: '" + value + "'");
    }
  }

  private static void refuse(HttpServerRequest req, int status, String message, String parameter) {
    JsonObject body = new JsonObject().put("error", message).put("code", status);
    if (parameter != null) {
      body.put("parameter", parameter);
    }
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }
}
