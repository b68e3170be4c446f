package org.daarion.livingmap.api.security;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/** The caller's address for rate limits: the peer, or behind a trusted proxy the forwarded one. */
public final class ClientAddress {
  private ClientAddress() {}

  /**
   * With {@code trustProxy}, the last {@code X-Forwarded-For} entry (the address the nearest proxy,
   * DAARION's nginx, saw; earlier entries are the client's own claims and can be forged); otherwise
   * the TCP peer.
   */
  public static String of(HttpServerRequest request, boolean trustProxy) {
    if (trustProxy) {
      String xff = request.getHeader("X-Forwarded-For");
      if (xff != null) {
        int comma = xff.lastIndexOf(',');
        String last = (comma < 0 ? xff : xff.substring(comma + 1)).trim();
        if (!last.isEmpty() && last.length() <= 64) {
          return last;
        }
      }
    }
    SocketAddress peer = request.remoteAddress();
    return peer == null ? "unknown" : peer.hostAddress();
  }

  /** The rate-limit key of a request: the principal's identity, else {@code ip:<address>}. */
  public static String clientKey(
      Principal principal, HttpServerRequest request, boolean trustProxy) {
    String key = principal == null ? null : principal.clientKey();
    return key != null ? key : "ip:" + of(request, trustProxy);
  }
}
