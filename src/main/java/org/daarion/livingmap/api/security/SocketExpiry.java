package org.daarion.livingmap.api.security;

import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.time.Clock;
import java.time.Duration;

/**
 * Closes a WebSocket when its principal's credentials expire, with close code {@link
 * StreamGuard#CLOSE_TOKEN_EXPIRED} (4401, reason {@code token expired}). The client reconnects with
 * a fresh token.
 */
public final class SocketExpiry {
  private SocketExpiry() {}

  /**
   * Schedules the close on a Vert.x timer; call it on the socket's context. Returns the timer id
   * (cancel it in the socket's close handler with {@code vertx.cancelTimer(id)}), or -1 when the
   * principal never expires. A principal already expired closes the socket at once.
   */
  public static long closeOnExpiry(
      Vertx vertx, ServerWebSocket ws, Principal principal, Clock clock) {
    if (principal.expiresAt() == null) {
      return -1;
    }
    long delay = Duration.between(clock.instant(), principal.expiresAt()).toMillis();
    if (delay <= 0) {
      close(ws);
      return -1;
    }
    return vertx.setTimer(delay, id -> close(ws));
  }

  private static void close(ServerWebSocket ws) {
    if (!ws.isClosed()) {
      ws.close(StreamGuard.CLOSE_TOKEN_EXPIRED, "token expired");
    }
  }
}
