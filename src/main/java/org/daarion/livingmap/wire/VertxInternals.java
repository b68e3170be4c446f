package org.daarion.livingmap.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxHandler;
import java.nio.ByteBuffer;
import java.util.function.IntConsumer;

/**
 * The one place that uses Vert.x and Netty internals (Vert.x's {@code internal}, {@code http.impl}
 * and {@code net.impl} packages, Netty's pipeline and WebSocket codec): a Vert.x upgrade may change
 * them, and this file is what then needs looking at. Everything else sees public types: {@link
 * Buffer}, {@link ByteBuf} and {@link RawSocket}.
 *
 * <p>What the internals buy: a {@link Buffer} and a {@link ByteBuf} sharing the same bytes (encode
 * once, write the same bytes to every socket, no copy), direct memory for prepared bytes, and a
 * socket's Netty context, through which the stream writes prepared frames in one write per drain.
 * None of these methods copy bytes unless they say so; none allocates per call beyond the one
 * wrapper it returns.
 */
public final class VertxInternals {
  private VertxInternals() {}

  /** The largest frame written: 64 KiB, the frame limit most WebSocket clients default to. */
  /** Why the HTTP codec could not read a request. */
  public enum Unreadable {
    LINE_TOO_LONG,
    HEADERS_TOO_LARGE,
    INVALID
  }

  /** Why {@code request} could not be read, from the codec's own failure (a Netty type). */
  public static Unreadable unreadable(io.vertx.core.http.HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
      return Unreadable.LINE_TOO_LONG;
    }
    if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
      return Unreadable.HEADERS_TOO_LARGE;
    }
    return Unreadable.INVALID;
  }

  /** The simple class name of the codec's failure for {@code request}, or null. */
  public static String unreadableCause(io.vertx.core.http.HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    return cause == null ? null : cause.getClass().getSimpleName();
  }

  public static final int FRAGMENT = 64 * 1024;

  /**
   * The context {@code ctx} duplicates, or {@code ctx}: Vert.x Web runs each request, and the
   * WebSocket it becomes, on a duplicate of the event loop's context, a new object per request.
   * Per-event-loop state must be keyed by this one.
   */
  public static Context eventLoopContext(Context ctx) {
    return ((io.vertx.core.internal.ContextInternal) ctx).unwrap();
  }

  /** RSV1 of a WebSocket frame: set on a message compressed with permessage-deflate (RFC 7692). */
  private static final int RSV1 = 4;

  /** The bytes of {@code b}, shared (not copied); the caller must not write into them. */
  public static ByteBuf byteBuf(Buffer b) {
    return ((BufferInternal) b).getByteBuf();
  }

  /** A {@link Buffer} over {@code b}'s bytes, shared (not copied). */
  public static Buffer buffer(ByteBuf b) {
    return BufferInternal.buffer(b);
  }

  /**
   * A read-only {@link Buffer} over {@code len} bytes of {@code array} from {@code offset}, shared:
   * the public {@code Buffer.buffer(byte[])} copies them.
   */
  public static Buffer shared(byte[] array, int offset, int len) {
    return BufferInternal.buffer(
        Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(array, offset, len)));
  }

  /**
   * A read-only {@link ByteBuf} over all of {@code array}, shared; never released (the GC frees
   * it).
   */
  public static ByteBuf sharedWire(byte[] array) {
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(array));
  }

  /** Whether {@code b}'s bytes are outside the heap. */
  public static boolean isDirect(Buffer b) {
    return byteBuf(b).isDirect();
  }

  /**
   * {@code b} itself when outside the heap, else a copy outside it. A JDK direct buffer, not a
   * pooled one: freed when the last reference goes, so HTTP responses share it without reference
   * counting.
   */
  public static Buffer offHeap(Buffer b) {
    return isDirect(b) ? b : buffer(Unpooled.wrappedBuffer(directCopy(b)));
  }

  /** {@code b}'s bytes copied into a new JDK direct buffer, ready to read. */
  static ByteBuffer directCopy(Buffer b) {
    ByteBuffer direct = ByteBuffer.allocateDirect(b.length());
    direct.put(byteBuf(b).nioBuffer());
    return direct.flip();
  }

  /**
   * {@code head}, {@code body} and {@code tail} as one read-only buffer outside the heap: {@code
   * body}, direct itself, is shared and not copied (a snapshot frame around prepared bytes).
   */
  public static Buffer directConcat(byte[] head, Buffer body, byte[] tail) {
    return buffer(Unpooled.wrappedUnmodifiableBuffer(direct(head), byteBuf(body), direct(tail)));
  }

  private static ByteBuf direct(byte[] bytes) {
    ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
    b.put(bytes).flip();
    return Unpooled.wrappedBuffer(b);
  }

  /**
   * A text frame over {@code b}'s bytes for {@link ServerWebSocket#writeFrame}; {@code
   * WebSocketFrame.textFrame} takes a String, this one shares the bytes.
   */
  public static WebSocketFrame textFrame(Buffer b, boolean last) {
    return new WebSocketFrameImpl(WebSocketFrameType.TEXT, byteBuf(b), last);
  }

  /**
   * Writes one text message over {@code b}'s bytes through the Vert.x API, split into {@link
   * #FRAGMENT} fragments (clients' default frame limit) when larger.
   */
  public static void writeText(ServerWebSocket ws, Buffer b) {
    int len = b.length();
    if (len <= FRAGMENT) {
      ws.writeFrame(textFrame(b, true));
      return;
    }
    for (int off = 0; off < len; off += FRAGMENT) {
      int end = Math.min(len, off + FRAGMENT);
      Buffer part = b.slice(off, end);
      boolean last = end == len;
      ws.writeFrame(
          off == 0 ? textFrame(part, last) : WebSocketFrame.continuationFrame(part, last));
    }
  }

  /**
   * The socket's Netty channel, for writing prepared frames, or null (frames then go through the
   * Vert.x API one by one). Vert.x Web hands out a wrapper of the socket that does not expose it;
   * after the upgrade the connection's pipeline holds the socket's Vert.x handler, whose context
   * the socket itself writes through.
   */
  public static RawSocket rawSocket(ServerWebSocket ws, HttpServerRequest req) {
    ChannelHandlerContext c = null;
    if (ws instanceof WebSocketInternal wi) {
      c = wi.channelHandlerContext();
    } else if (req.connection() instanceof ConnectionBase cb) {
      c = cb.channel().pipeline().context(VertxHandler.class);
    }
    return c == null ? null : new RawSocket(c);
  }

  /**
   * One WebSocket's Netty channel, written to directly: writes are queued and go out on {@link
   * #flush()}, so a drain of many frames costs one system call. Every method runs on the socket's
   * event loop, except {@link #deflates()} (any thread).
   */
  public static final class RawSocket {
    private final ChannelHandlerContext chctx;

    private RawSocket(ChannelHandlerContext chctx) {
      this.chctx = chctx;
    }

    /**
     * Watches the channel: {@code writable} runs on {@code ctx} when the channel accepts writes
     * again; {@code corruptFrame} runs there with the close code (1009, 1002, ...) when the decoder
     * refuses a client frame (over the transport limit, unmasked, bad opcode), 0 when the decoder
     * names none. Vert.x answers such a frame by dropping the TCP connection at once, so a client
     * still sending gets a reset and never the close code: the stream sends the close frame
     * instead, and the decoder, now discarding, keeps reading until the client closes or the close
     * grace ends.
     */
    public void watch(Context ctx, Runnable writable, IntConsumer corruptFrame) {
      chctx
          .pipeline()
          .addBefore(
              chctx.name(),
              "living-map-writability",
              new ChannelInboundHandlerAdapter() {
                @Override
                public void channelWritabilityChanged(ChannelHandlerContext c) {
                  if (c.channel().isWritable()) {
                    ctx.runOnContext(v -> writable.run());
                  }
                  c.fireChannelWritabilityChanged();
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                  if (cause instanceof CorruptedWebSocketFrameException bad) {
                    WebSocketCloseStatus status = bad.closeStatus();
                    int code = status != null ? status.code() : 0;
                    ctx.runOnContext(v -> corruptFrame.accept(code));
                    return;
                  }
                  c.fireExceptionCaught(cause);
                }
              });
    }

    /**
     * Whether the socket negotiated permessage-deflate, so that its first snapshot can go out
     * precompressed: its pipeline holds the extension's encoder. Looked up each time rather than
     * once: the extension's handshake handler (a "compression" handler that plain sockets have too,
     * for a moment) must not pass for the encoder. Any thread.
     */
    public boolean deflates() {
      for (var e : chctx.pipeline()) {
        if (e.getValue().getClass().getSimpleName().equals("PerMessageDeflateEncoder")) {
          return true;
        }
      }
      return false;
    }

    /**
     * Whether a WebSocket compression extension (or its handshake) sits in the pipeline: then
     * frames must go through the socket's encoder and prepared wire bytes may not be written.
     */
    public boolean compressed() {
      for (var e : chctx.pipeline()) {
        String name = e.getValue().getClass().getName();
        if (name.contains("Deflate") || name.contains("Compress")) {
          return true;
        }
      }
      return false;
    }

    /**
     * Writes one text message over {@code b}'s bytes, shared, split into 64 KiB fragments (clients'
     * default frame limit) when larger; with {@code deflated}, the bytes are already compressed
     * (RSV1 on the first frame, which the socket's deflate encoder then passes on untouched).
     */
    public void writeText(Buffer b, boolean deflated) {
      ByteBuf bytes = byteBuf(b);
      int len = b.length();
      int rsv = deflated ? RSV1 : 0;
      if (len <= FRAGMENT) {
        chctx.write(new TextWebSocketFrame(true, rsv, bytes), chctx.voidPromise());
        return;
      }
      for (int off = 0; off < len; off += FRAGMENT) {
        int end = Math.min(len, off + FRAGMENT);
        ByteBuf part = bytes.slice(off, end - off);
        boolean last = end == len;
        chctx.write(
            off == 0
                ? new TextWebSocketFrame(last, rsv, part)
                : new ContinuationWebSocketFrame(last, 0, part),
            chctx.voidPromise());
      }
    }

    /**
     * A pooled direct buffer for bytes already framed; released by {@link #write} or the caller.
     */
    public ByteBuf directBuffer(int capacity) {
      return chctx.alloc().directBuffer(capacity);
    }

    /** Writes bytes already framed as WebSocket frames (taking over {@code framed}). */
    public void write(ByteBuf framed) {
      chctx.write(framed, chctx.voidPromise());
    }

    public void flush() {
      chctx.flush();
    }

    /** Whether the outbound buffer is under its high-water mark. */
    public boolean isWritable() {
      return chctx.channel().isWritable();
    }

    /** Drops the TCP connection (a client that does not read never sees a close frame). */
    public void closeTransport() {
      chctx.channel().close();
    }
  }
}
