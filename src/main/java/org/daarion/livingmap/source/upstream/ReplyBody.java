package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;
import java.util.ArrayList;
import java.util.List;

/**
 * An upstream reply's body as one byte array of its exact length, refused past a byte bound.
 *
 * <p>Why not the web client's buffer codec: it grows one heap buffer by doubling, and at 100x
 * DAARION the 11 MB {@code /agents} reply went through 0.5, 1, 2, 4, 8 and 16 MB arrays, each a
 * humongous allocation that started a concurrent collection, and then a copy of it for the parser
 * (JFR, 2026-12-06: 300 MB of humongous arrays per 90 s, most of the run's). Chunks are kept as
 * they come and copied once at the end. And it had no bound: an upstream that answers without end
 * filled the heap. Past {@code maxBytes} the rest is read and dropped (the request's deadline ends
 * a body without end) and the reply fails as {@link TooLarge}.
 */
final class ReplyBody {
  /** A reply over the bound; the caller reports it as a bad payload, not retried. */
  static final class TooLarge extends RuntimeException {
    TooLarge(long maxBytes) {
      super(
          "reply over " + maxBytes + " bytes (LIVING_MAP_UPSTREAM_MAX_REPLY_BYTES)",
          null,
          false,
          false);
    }
  }

  private ReplyBody() {}

  /**
   * A codec giving the body's bytes (empty for an empty body), or failing with {@link TooLarge}.
   */
  static BodyCodec<byte[]> codec(int maxBytes) {
    return () -> new Stream(maxBytes);
  }

  private static final class Stream implements BodyStream<byte[]> {
    private final int maxBytes;
    private final List<byte[]> chunks = new ArrayList<>();
    private final Promise<byte[]> result = Promise.promise();
    private long length;

    Stream(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    @Override
    public Future<Void> write(Buffer data) {
      length += data.length();
      if (length <= maxBytes) {
        chunks.add(data.getBytes());
      } else {
        chunks.clear();
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      if (length > maxBytes) {
        result.tryFail(new TooLarge(maxBytes));
        return Future.succeededFuture();
      }
      byte[] all = new byte[(int) length];
      int at = 0;
      for (byte[] c : chunks) {
        System.arraycopy(c, 0, all, at, c.length);
        at += c.length;
      }
      chunks.clear();
      result.tryComplete(all);
      return Future.succeededFuture();
    }

    @Override
    public void handle(Throwable failure) {
      chunks.clear();
      result.tryFail(failure);
    }

    @Override
    public Future<byte[]> result() {
      return result.future();
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      return this;
    }
  }
}
