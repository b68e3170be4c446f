package org.daarion.livingmap.api.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control for WebSocket clients, for the stream endpoint to call:
 *
 * <pre>{@code
 * // on the upgrade request, after authentication:
 * StreamGuard.Admission a = guard.admit(ClientAddress.clientKey(principal, request, trustProxy));
 * if (!a.ok()) { request.response().setStatusCode(a.status())
 *     .putHeader("Retry-After", ...).end(a.reason()); return; }
 * request.toWebSocket().onSuccess(ws -> {
 *   ws.closeHandler(v -> a.ticket().release());          // always release, exactly once is fine
 *   ws.textMessageHandler(msg -> {
 *     if (!a.ticket().allowFrame()) { ws.close(StreamGuard.CLOSE_RATE_LIMITED, "too many frames"); return; }
 *     ...
 *   });
 * }).onFailure(e -> a.ticket().release());
 * }</pre>
 *
 * Caps: connects per second per client (token bucket), concurrent sockets per client and in total,
 * and client frames per second per client. Thread-safe.
 *
 * <p>Close codes (documented in docs/OPERATIONS.md): {@link #CLOSE_TOKEN_EXPIRED} 4401 when the
 * token expires while the socket is open ({@link SocketExpiry}); {@link #CLOSE_RATE_LIMITED} 4429
 * when a client sends frames faster than its limit.
 */
public final class StreamGuard {
  public static final short CLOSE_TOKEN_EXPIRED = 4401;
  public static final short CLOSE_RATE_LIMITED = 4429;

  /** The outcome of {@link #admit}: a ticket, or an HTTP status and reason to refuse with. */
  public record Admission(
      Ticket ticket, int status, String code, String reason, long retryAfterSeconds) {
    public boolean ok() {
      return ticket != null;
    }
  }

  /** One admitted socket. */
  public final class Ticket {
    private final String client;
    private final AtomicBoolean released = new AtomicBoolean();

    private Ticket(String client) {
      this.client = client;
    }

    /** Takes one frame token; false means the client exceeded its frame rate. */
    public boolean allowFrame() {
      return frames == null || frames.take(client) == 0;
    }

    /** Frees the connection slot; idempotent. */
    public void release() {
      if (released.compareAndSet(false, true)) {
        total.decrementAndGet();
        perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
      }
    }

    public String client() {
      return client;
    }
  }

  private final TokenBuckets connects;
  private final TokenBuckets frames;
  private final int maxPerClient;
  private final int maxTotal;
  private final AtomicInteger total = new AtomicInteger();
  private final Map<String, AtomicInteger> perClient = new ConcurrentHashMap<>();

  /**
   * @param connects connect-rate buckets, or null for no connect rate limit
   * @param frames frame-rate buckets, or null for no frame rate limit
   */
  public StreamGuard(TokenBuckets connects, TokenBuckets frames, int maxPerClient, int maxTotal) {
    this.connects = connects;
    this.frames = frames;
    this.maxPerClient = maxPerClient;
    this.maxTotal = maxTotal;
  }

  /** Admits a new socket of {@code client} or says why not (429 or 503). */
  public Admission admit(String client) {
    if (connects != null) {
      long wait = connects.take(client);
      if (wait > 0) {
        long s = Math.max(1, (TimeUnit.NANOSECONDS.toMillis(wait) + 999) / 1000);
        return new Admission(null, 429, "rate_limited", "too many connects; retry later", s);
      }
    }
    if (total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      return new Admission(null, 503, "too_many_connections", "server connection limit reached", 5);
    }
    AtomicInteger mine = perClient.computeIfAbsent(client, k -> new AtomicInteger());
    if (mine.incrementAndGet() > maxPerClient) {
      total.decrementAndGet();
      perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
      return new Admission(
          null,
          429,
          "too_many_connections",
          "at most " + maxPerClient + " concurrent connections per client",
          5);
    }
    return new Admission(new Ticket(client), 200, null, null, 0);
  }

  public int connections() {
    return total.get();
  }

  public int connections(String client) {
    AtomicInteger n = perClient.get(client);
    return n == null ? 0 : n.get();
  }

  /** Periodic housekeeping: drops idle rate buckets. */
  public void evictIdle() {
    if (connects != null) {
      connects.evictIdle();
    }
    if (frames != null) {
      frames.evictIdle();
    }
  }
}
