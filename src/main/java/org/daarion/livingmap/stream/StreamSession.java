package org.daarion.livingmap.stream;

import io.vertx.core.http.ServerWebSocket;
import org.daarion.livingmap.visibility.Visibility;

/**
 * What the caller's security knows about one stream connection: told when the socket opens (to
 * schedule a close when the caller's token expires), asked before each client frame (rate limits),
 * told once when the connection ends (to release a per-client socket slot). Called on the
 * connection's event loop.
 */
public interface StreamSession {
  StreamSession NONE =
      new StreamSession() {
        @Override
        public void opened(ServerWebSocket ws) {}

        @Override
        public boolean allowFrame() {
          return true;
        }

        @Override
        public void closed() {}
      };

  void opened(ServerWebSocket ws);

  /** False closes the connection with {@link CloseCodes#RATE_LIMITED}. */
  boolean allowFrame();

  /** Called exactly once, when the connection ends or the upgrade fails. */
  void closed();

  /**
   * What the caller may see: its snapshot, live events and replays are filtered by this class.
   * Fixed for the connection's life.
   */
  default Visibility visibility() {
    return Visibility.FULL;
  }
}
