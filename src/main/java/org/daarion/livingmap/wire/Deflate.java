package org.daarion.livingmap.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

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

  /** {@code in} gzipped at {@code level}, outside the heap. */
  public static Buffer gzip(Buffer in, int level) {
    return gzip(compress(in, level));
  }

  /**
   * {@code message} compressed for permessage-deflate (RFC 7692 section 7.2.1): raw deflate, sync
   * flushed, its final {@code 00 00 ff ff} removed. Independent of any earlier message, so any
   * socket can be sent it as its first compressed message.
   */
  public static Buffer message(Buffer message, int level) {
    Buffer d = compress(message, level).deflated();
    int len = d.length();
    if (len >= 4
        && d.getByte(len - 4) == 0
        && d.getByte(len - 3) == 0
        && d.getByte(len - 2) == (byte) 0xff
        && d.getByte(len - 1) == (byte) 0xff) {
      return d.slice(0, len - 4);
    }
    return d;
  }

  /**
   * Bytes compressed once as raw deflate that ends in a sync flush (its {@code 00 00 ff ff} kept),
   * with the CRC-32 and the length of what they hold. A gzip response ({@link #gzip(Compressed)})
   * and a permessage-deflate message around them ({@link #message(byte[], Compressed, byte[],
   * int)}) both splice these bytes instead of compressing them again: a block stream that ends on a
   * byte boundary can be followed by blocks from an independent compressor, which never refers back
   * past its own start.
   */
  public record Compressed(Buffer deflated, int crc, int length) {}

  /** {@code in} compressed at {@code level} (see {@link Compressed}), outside the heap. */
  public static Compressed compress(Buffer in, int level) {
    ByteBuffer copy = copyOfHeap(in);
    ByteBuf src = copy == null ? VertxInternals.byteBuf(in) : Unpooled.wrappedBuffer(copy);
    Deflater d = new Deflater(level, true);
    ByteBuffer out = null;
    try {
      out = ByteBuffer.allocateDirect(initialCapacity(src));
      CRC32 crc = new CRC32();
      for (ByteBuffer part : src.nioBuffers()) {
        crc.update(part.duplicate());
      }
      out = input(d, src, out);
      do {
        out = room(out);
        d.deflate(out, Deflater.SYNC_FLUSH);
      } while (!out.hasRemaining());
      return new Compressed(exact(out, out.position()), (int) crc.getValue(), src.readableBytes());
    } finally {
      d.end();
      Scratch.free(out);
      Scratch.free(copy);
    }
  }

  /**
   * gzip (RFC 1952) of {@code c}: the header, {@code c}'s bytes (shared, not copied), a final empty
   * fixed-Huffman block ({@code 03 00}) and the trailer.
   */
  public static Buffer gzip(Compressed c) {
    byte[] tail = new byte[10];
    tail[0] = 0x03;
    ByteBuffer.wrap(tail, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putInt(c.crc()).putInt(c.length());
    return VertxInternals.directConcat(GZIP_HEADER, c.deflated(), tail);
  }

  /**
   * The permessage-deflate message (as {@link #message(Buffer, int)}) of {@code head}, {@code
   * body}'s bytes and {@code tail}: head and tail are compressed here, the body is spliced.
   */
  public static Buffer message(byte[] head, Compressed body, byte[] tail, int level) {
    byte[] h = syncFlushed(head, level);
    byte[] t = syncFlushed(tail, level);
    // The message ends without its final sync marker (RFC 7692 section 7.2.1).
    return VertxInternals.directConcat(h, body.deflated(), Arrays.copyOf(t, t.length - 4));
  }

  private static byte[] syncFlushed(byte[] in, int level) {
    Deflater d = new Deflater(level, true);
    try {
      d.setInput(in);
      byte[] out = new byte[in.length + 64];
      int n = 0;
      do {
        if (n == out.length) {
          out = Arrays.copyOf(out, out.length * 2);
        }
        n += d.deflate(out, n, out.length - n, Deflater.SYNC_FLUSH);
      } while (n == out.length);
      return Arrays.copyOf(out, n);
    } finally {
      d.end();
    }
  }

  /** What {@code c} holds, in a buffer outside the heap of exactly its length. */
  public static Buffer inflate(Compressed c) {
    Inflater inf = new Inflater(true);
    ByteBuffer out = ByteBuffer.allocateDirect(c.length());
    try {
      for (ByteBuffer part : VertxInternals.byteBuf(c.deflated()).nioBuffers()) {
        inf.setInput(part);
        while (!inf.needsInput() && out.hasRemaining()) {
          inf.inflate(out);
        }
      }
    } catch (DataFormatException e) {
      throw new IllegalStateException("compressed bytes that do not inflate", e);
    } finally {
      inf.end();
    }
    if (out.hasRemaining()) {
      throw new IllegalStateException(
          "compressed bytes inflate to " + out.position() + " bytes, not " + c.length());
    }
    out.flip();
    return VertxInternals.buffer(Unpooled.wrappedBuffer(out));
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

  /** {@code b}'s bytes copied outside the heap (scratch), or null when they are there already. */
  private static ByteBuffer copyOfHeap(Buffer b) {
    return VertxInternals.isDirect(b) ? null : VertxInternals.directCopy(b);
  }

  private static int initialCapacity(ByteBuf src) {
    // JSON compresses about 10:1; one regrowth at worst for typical input.
    return Math.max(MIN_ROOM * 2, src.readableBytes() / 6);
  }

  private static ByteBuffer room(ByteBuffer out) {
    if (out.remaining() >= MIN_ROOM) {
      return out;
    }
    return Scratch.grow(out, MIN_ROOM * 2);
  }

  private static Buffer exact(ByteBuffer out, int len) {
    ByteBuffer b = ByteBuffer.allocateDirect(len);
    out.flip().limit(len);
    b.put(out).flip();
    return VertxInternals.buffer(Unpooled.wrappedBuffer(b));
  }
}
