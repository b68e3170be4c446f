package org.daarion.livingmap.wire;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip and permessage-deflate of prepared bytes, read from and written to memory outside the heap.
 *
 * <p>Why not {@code GZIPOutputStream}: {@link Deflater} on heap arrays holds them in a JNI critical
 * region for every call, and on JDK 17's G1 a thread that needs a collection meanwhile waits and
 * retries; after two retries it throws {@link OutOfMemoryError}. At 100x DAARION (a 7.9 MB snapshot
 * compressed several times a second) that killed the simulator thread with heap to spare. On direct
 * buffers the deflater reads and writes native addresses and pins nothing.
 */
public final class Deflate {
  private Deflate() {}

  private static final byte[] GZIP_HEADER = {
    0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, 0
  };
  private static final int MIN_ROOM = 64 * 1024;

  /** {@code in} gzipped at {@code level}, in a direct buffer of exactly the output's size. */
  public static Buffer gzip(Buffer in, int level) {
    ByteBuf src = direct(in);
    Deflater d = new Deflater(level, true);
    try {
      ByteBuffer out = ByteBuffer.allocateDirect(initialCapacity(src));
      out.put(GZIP_HEADER);
      CRC32 crc = new CRC32();
      for (ByteBuffer part : src.nioBuffers()) {
        crc.update(part.duplicate());
      }
      out = input(d, src, out);
      d.finish();
      while (!d.finished()) {
        out = room(out);
        d.deflate(out, Deflater.NO_FLUSH);
      }
      out = room(out);
      out.order(ByteOrder.LITTLE_ENDIAN);
      out.putInt((int) crc.getValue());
      out.putInt(src.readableBytes());
      return exact(out, out.position());
    } finally {
      d.end();
    }
  }

  /**
   * {@code message} compressed for permessage-deflate (RFC 7692 section 7.2.1): raw deflate, sync
   * flushed, its final {@code 00 00 ff ff} removed. Independent of any earlier message, so any
   * socket can be sent it as its first compressed message.
   */
  public static Buffer message(Buffer message, int level) {
    ByteBuf src = direct(message);
    Deflater d = new Deflater(level, true);
    try {
      ByteBuffer out = ByteBuffer.allocateDirect(initialCapacity(src));
      out = input(d, src, out);
      // A sync flush is complete when it leaves output space unused.
      do {
        out = room(out);
        d.deflate(out, Deflater.SYNC_FLUSH);
      } while (!out.hasRemaining());
      int len = out.position();
      if (len >= 4
          && out.get(len - 4) == 0
          && out.get(len - 3) == 0
          && out.get(len - 2) == (byte) 0xff
          && out.get(len - 1) == (byte) 0xff) {
        len -= 4;
      }
      return exact(out, len);
    } finally {
      d.end();
    }
  }

  /** Feeds all of {@code src} to {@code d}; returns the output buffer, grown as needed. */
  private static ByteBuffer input(Deflater d, ByteBuf src, ByteBuffer out) {
    for (ByteBuffer part : src.nioBuffers()) {
      d.setInput(part);
      while (!d.needsInput()) {
        out = room(out);
        d.deflate(out, Deflater.NO_FLUSH);
      }
    }
    return out;
  }

  private static ByteBuf direct(Buffer b) {
    return VertxInternals.byteBuf(VertxInternals.offHeap(b));
  }

  private static int initialCapacity(ByteBuf src) {
    // JSON compresses about 10:1; one regrowth at worst for typical input.
    return Math.max(MIN_ROOM * 2, src.readableBytes() / 6);
  }

  private static ByteBuffer room(ByteBuffer out) {
    if (out.remaining() >= MIN_ROOM) {
      return out;
    }
    ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(out.capacity() * 2, MIN_ROOM * 2));
    out.flip();
    bigger.put(out);
    return bigger;
  }

  private static Buffer exact(ByteBuffer out, int len) {
    ByteBuffer b = ByteBuffer.allocateDirect(len);
    out.flip().limit(len);
    b.put(out).flip();
    return VertxInternals.buffer(io.netty.buffer.Unpooled.wrappedBuffer(b));
  }
}
