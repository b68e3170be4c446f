package org.daarion.livingmap.stream;

/**
 * Every close code the stream uses. Also in {@code docs/STREAM.md}.
 *
 * <table>
 *   <caption>WebSocket close codes of /living-map/stream</caption>
 *   <tr><th>code</th><th>name</th><th>when</th><th>client should</th></tr>
 *   <tr><td>1000</td><td>normal</td><td>the client closed, or the server ended the stream
 *       normally</td><td>nothing</td></tr>
 *   <tr><td>1001</td><td>going away</td><td>the server is shutting down</td><td>reconnect with
 *       resume after a backoff</td></tr>
 *   <tr><td>1002</td><td>protocol error</td><td>a frame the WebSocket decoder refuses (unmasked,
 *       reserved bits or opcode, control frame too long)</td><td>fix the client</td></tr>
 *   <tr><td>1008</td><td>policy violation</td><td>more than {@code badFrameLimit} bad client frames
 *       (non-JSON, unknown op, oversized, binary, invalid filter) or more than {@code
 *       messageLimit} client messages within {@code floodWindow}</td><td>fix the client; reconnect
 *       after a backoff</td></tr>
 *   <tr><td>1009</td><td>message too big</td><td>a client message over the transport limit (1 MiB
 *       with {@link StreamEndpoint#serverOptions}, one frame or fragments)</td><td>send smaller
 *       messages</td></tr>
 *   <tr><td>1011</td><td>internal error</td><td>the server failed to serve this connection (a
 *       snapshot could not be built)</td><td>reconnect with resume after a backoff</td></tr>
 *   <tr><td>1013</td><td>try again later</td><td>the connection cap was reached after the upgrade
 *       (normally refused before it with HTTP 503)</td><td>reconnect after a backoff</td></tr>
 *   <tr><td>4000</td><td>idle timeout</td><td>no frame at all (pong, message) from the client for
 *       {@code idleTimeout} (2 ping intervals by default)</td><td>reconnect with resume</td></tr>
 *   <tr><td>4001</td><td>slow consumer</td><td>the client's send queue overflowed {@code
 *       maxOverflows} times within {@code overflowWindow}, or a resync snapshot could not be
 *       written within {@code resyncTimeout} because the client did not read</td><td>reconnect
 *       with resume; read faster or narrow the filters / use {@code max_rate}</td></tr>
 *   <tr><td>4401</td><td>token expired</td><td>the caller's token expired while the socket was
 *       open (auth on); reconnect with a fresh token and resume</td></tr>
 *   <tr><td>4429</td><td>rate limited</td><td>the client sent frames faster than {@code
 *       LIVING_MAP_WS_FRAME_RATE}</td></tr>
 * </table>
 */
public final class CloseCodes {
  private CloseCodes() {}

  public static final short NORMAL = 1000;
  public static final short GOING_AWAY = 1001;
  public static final short PROTOCOL_ERROR = 1002;
  public static final short POLICY_VIOLATION = 1008;
  public static final short MESSAGE_TOO_BIG = 1009;
  public static final short INTERNAL_ERROR = 1011;
  public static final short TRY_AGAIN_LATER = 1013;
  public static final short IDLE_TIMEOUT = 4000;
  public static final short SLOW_CONSUMER = 4001;
  public static final short TOKEN_EXPIRED = 4401;
  public static final short RATE_LIMITED = 4429;
}
