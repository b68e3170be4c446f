package org.daarion.livingmap.reliability;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.testing.Http;

/**
 * A plain Vert.x WebSocket client on {@code /living-map/stream} that counts the event frames it
 * receives and remembers the highest {@code seq}. Frames are JSON objects with {@code kind} and
 * {@code seq}.
 */
final class StreamProbe implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  // Held for the probe's lifetime: Vert.x 5 closes a client that becomes unreachable, and with it
  // its sockets (a GC during a long test closed the stream with 1000).
  private final WebSocketClient client;
  private final AtomicLong frames = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong highestSeq = new AtomicLong();
  private final AtomicReference<String> closed = new AtomicReference<>();
  private WebSocket ws;

  /**
   * True when the service has the stream route: a plain GET is refused with 426 (Upgrade Required),
   * not 404.
   */
  static boolean wired(Http http) {
    return http.get("/living-map/stream").status() != 404;
  }

  StreamProbe(int port) throws Exception {
    client = vertx.createWebSocketClient();
    // Handlers are set where the connect completes, on the event loop (set after get(), they
    // could miss the first frames).
    ws =
        client
            .connect(port, "127.0.0.1", "/living-map/stream")
            .map(
                w -> {
                  w.textMessageHandler(
                      text -> {
                        frames.incrementAndGet();
                        JsonObject f = new JsonObject(text);
                        if ("event".equals(f.getString("kind"))) {
                          events.incrementAndGet();
                        }
                        Object seq = f.getValue("seq");
                        if (seq instanceof Number n) {
                          highestSeq.accumulateAndGet(n.longValue(), Math::max);
                        }
                      });
                  w.closeHandler(
                      v -> closed.set("closed " + w.closeStatusCode() + " " + w.closeReason()));
                  return w;
                })
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  long frames() {
    return frames.get();
  }

  long events() {
    return events.get();
  }

  long highestSeq() {
    return highestSeq.get();
  }

  /** Null while open, else how it was closed. */
  String closedHow() {
    return closed.get();
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }
}
