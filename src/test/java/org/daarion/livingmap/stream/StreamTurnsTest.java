package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.daarion.livingmap.config.Config;
import org.junit.jupiter.api.Test;

/**
 * Sockets of one event loop with long backlogs take turns ({@link StreamWriter#TURN_FRAMES}), so
 * each event of a burst is compressed once for all the permessage-deflate sockets. Written one
 * after another, the first socket's backlog pushed the start of the burst out of the event loop's
 * compressed frames ({@link DeflatedFrames#SLOTS}) before the next socket asked for it: every
 * socket compressed the whole burst again, and at 100x DAARION 100 connects took 52-71 s.
 */
class StreamTurnsTest {
  private static final int SOCKETS = 3;
  private static final int BURST = 3 * DeflatedFrames.SLOTS;

  @Test
  void socketsWithLongBacklogsShareEachCompressedEvent() throws Exception {
    StreamEndpoint.Settings defaults = StreamEndpoint.Settings.from(Config.of(Map.of()));
    try (StreamTestServer server =
        new StreamTestServer(defaults, StreamHub.Options.defaults(), MissedEvents.NONE)) {
      HttpServer deflating =
          server
              .vertx
              .createHttpServer(
                  new HttpServerOptions().setPerMessageWebSocketCompressionSupported(true))
              .requestHandler(server.endpoint::handle)
              .listen(0)
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      String offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
      List<RawWebSocket> raws = new ArrayList<>();
      try {
        List<InflatingSocket> sockets = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) {
          // Room in the kernel for the whole burst: no socket waits for its reader.
          RawWebSocket raw = new RawWebSocket(deflating.actualPort(), null, 4 << 20, offer);
          raws.add(raw);
          InflatingSocket s = new InflatingSocket(raw);
          assertThat(s.next().getString("kind")).isEqualTo("snapshot");
          sockets.add(s);
        }
        long from = server.settle();
        long deflatedBefore = server.endpoint.stats().framesDeflated();
        // One command, as one upstream poll's reconciliation: every socket gets the whole burst
        // queued at once.
        server
            .owner
            .call(
                a -> {
                  for (int i = 0; i < BURST; i++) {
                    String id = "node:n" + (i % 500);
                    a.emit(
                        "node.metrics.n" + (i % 500),
                        id,
                        "node",
                        new JsonObject().put("node_id", id).put("cpu", i % 100));
                  }
                  return null;
                })
            .get(10, TimeUnit.SECONDS);
        long end = server.settle();
        assertThat(end - from).isEqualTo(BURST);
        List<Long> expected = LongStream.rangeClosed(from + 1, end).boxed().toList();
        for (InflatingSocket s : sockets) {
          assertThat(s.eventsUntil(end).keySet()).containsExactlyElementsOf(expected);
        }
        // Once per event, and a little more where turns ended mid-slot; not once per socket.
        assertThat(server.endpoint.stats().framesDeflated() - deflatedBefore)
            .isLessThan(BURST + BURST / 4);
        assertThat(server.hub.stats().overflows()).isZero();
      } finally {
        for (RawWebSocket raw : raws) {
          raw.close();
        }
        deflating.close();
      }
    }
  }
}
