package org.daarion.livingmap.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N WebSocket clients connect to {@code /living-map/stream} at once; prints, over all of them, the
 * time from the burst's start until each had its whole first (snapshot) message. Usage: {@code
 * ConnectBurst host port clients [compression]}.
 */
public final class ConnectBurst {
  private ConnectBurst() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int n = Integer.parseInt(args[2]);
    boolean compression = args.length > 3 && Boolean.parseBoolean(args[3]);
    Vertx vertx = Vertx.vertx();
    WebSocketClient client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxFrameSize(1 << 20)
                .setMaxMessageSize(256 << 20)
                .setMaxConnections(n * 2)
                .setTryUsePerMessageCompression(compression));
    long[] doneNanos = new long[n];
    long[] bytes = new long[n];
    CountDownLatch latch = new CountDownLatch(n);
    AtomicInteger failed = new AtomicInteger();
    long start = System.nanoTime();
    List<Object> sockets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      client
          .connect(
              new WebSocketConnectOptions()
                  .setHost(host)
                  .setPort(port)
                  .setURI("/living-map/stream"))
          .onSuccess(
              ws -> {
                synchronized (sockets) {
                  sockets.add(ws);
                }
                // Frames, not messages: aggregating 100 snapshots of megabytes into strings would
                // measure this client's heap rather than the server.
                boolean[] first = {true};
                long[] size = {0};
                ws.frameHandler(
                    frame -> {
                      if (!first[0]) {
                        return;
                      }
                      size[0] += frame.binaryData().length();
                      if (frame.isFinal()) {
                        first[0] = false;
                        doneNanos[k] = System.nanoTime() - start;
                        bytes[k] = size[0];
                        latch.countDown();
                      }
                    });
              })
          .onFailure(
              err -> {
                failed.incrementAndGet();
                doneNanos[k] = Long.MAX_VALUE;
                latch.countDown();
              });
    }
    boolean all = latch.await(60, TimeUnit.SECONDS);
    long[] ms = Arrays.stream(doneNanos).map(x -> x == 0 ? -1 : x / 1_000_000).sorted().toArray();
    long got = Arrays.stream(doneNanos).filter(x -> x > 0 && x < Long.MAX_VALUE).count();
    System.out.printf(
        "connect burst: clients=%d compression=%s with_snapshot=%d failed=%d all_within_60s=%s"
            + " p50=%dms p90=%dms max=%dms snapshot_bytes=%d%n",
        n,
        compression,
        got,
        failed.get(),
        all,
        ms[n / 2],
        ms[(int) (n * 0.9)],
        ms[n - 1],
        Arrays.stream(bytes).max().orElse(0));
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // Sockets still receiving events: the figures above are printed; exit anyway.
    }
    System.exit(0);
  }
}
