package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import org.daarion.livingmap.wire.MessageDeflater;

/**
 * Event frames compressed for permessage-deflate sockets, once per Vert.x context rather than once
 * per socket: every compressing socket of the context is written the same bytes ({@link
 * MessageDeflater}: each message independent of the ones before it). A drain hands the same frames
 * to all its sockets and a burst of connects replays the same recent frames, so a small cache of
 * the last compressed frames serves nearly every socket after the first.
 *
 * <p>The cache is direct-mapped by seq (consecutive events never collide) and holds at most {@link
 * #MAX_BYTES}, counting the frames it keeps alive as well as their compressed bytes; overflow
 * policy: a frame that does not fit is compressed and not kept. Context-confined: one event loop.
 */
final class DeflatedFrames {
  static final int SLOTS = 4096;
  static final long MAX_BYTES = 4L << 20;
  private static final int MAX_ENTRY = 64 * 1024;

  /** zlib's default level, as the per-socket encoder had: on small events level 1 saves little. */
  private static final int LEVEL = 6;

  private final StreamStats stats;
  private final Frame[] keys = new Frame[SLOTS];
  private final byte[][] wires = new byte[SLOTS][];
  private long bytes;
  private MessageDeflater deflater; // made when a compressing socket first needs it

  DeflatedFrames(StreamStats stats) {
    this.stats = stats;
  }

  /** {@code f}'s message compressed and framed with RSV1, shared by this context's sockets. */
  byte[] wire(Frame f) {
    int i = (int) (f.seq() & (SLOTS - 1));
    if (keys[i] == f) {
      return wires[i];
    }
    byte[] w = deflater().frame(f.bytes());
    stats.framesDeflated.increment();
    if (keys[i] != null) {
      bytes -= cost(keys[i], wires[i]);
      keys[i] = null;
      wires[i] = null;
    }
    long c = cost(f, w);
    if (w.length <= MAX_ENTRY && bytes + c <= MAX_BYTES) {
      keys[i] = f;
      wires[i] = w;
      bytes += c;
    }
    return w;
  }

  /** A message for one socket only (a control frame, a filtered snapshot), compressed unframed. */
  Buffer message(Buffer message) {
    stats.framesDeflated.increment();
    return deflater().message(message);
  }

  /** Bytes held now: compressed frames plus the frames they belong to. */
  long bytes() {
    return bytes;
  }

  private static long cost(Frame f, byte[] w) {
    return (long) w.length + f.bytes().length();
  }

  private MessageDeflater deflater() {
    if (deflater == null) {
      deflater = new MessageDeflater(LEVEL);
    }
    return deflater;
  }
}
