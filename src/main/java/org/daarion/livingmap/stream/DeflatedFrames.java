package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import org.daarion.livingmap.wire.MessageDeflater;

/**
 * Event frames compressed for permessage-deflate sockets, once per Vert.x context rather than once
 * per socket: every compressing socket of the context is written the same bytes ({@link
 * MessageDeflater}: each message independent of the ones before it). A drain hands the same frames
 * to all its sockets and a burst of connects replays the same recent frames, so a small cache of
 * the last compressed frames serves nearly every socket after the first.
 *
 * <p>The cache is direct-mapped by seq (consecutive events never collide) and holds at most {@link
 * #MAX_BYTES}, counting the frames it keeps alive as well as their compressed bytes. Overflow
 * policy: the oldest entries are dropped to make room (a drain's sockets all ask for the newest
 * frames); a frame whose cost alone exceeds the bound (an event larger than ~2 MiB, possible only
 * when {@code LIVING_MAP_MAX_EVENT_BYTES} is raised) is compressed for each socket that asks and
 * not kept. Context-confined: one event loop.
 */
final class DeflatedFrames {
  static final int SLOTS = 4096;
  static final long MAX_BYTES = 4L << 20;

  /** zlib's default level, as the per-socket encoder had: on small events level 1 saves little. */
  private static final int LEVEL = 6;

  private final StreamStats stats;
  private final Frame[] keys = new Frame[SLOTS];
  private final byte[][] wires = new byte[SLOTS][];

  /** Frames in the order they were kept; some no longer in their slot (skipped when evicted). */
  private final ArrayDeque<Frame> order = new ArrayDeque<>();

  private long bytes;
  private MessageDeflater deflater; // made when a compressing socket first needs it

  DeflatedFrames(StreamStats stats) {
    this.stats = stats;
  }

  /** {@code f}'s message compressed and framed with RSV1, shared by this context's sockets. */
  byte[] wire(Frame f) {
    int i = slot(f);
    if (keys[i] == f) {
      return wires[i];
    }
    byte[] w = deflater().frame(f.bytes());
    stats.framesDeflated.increment();
    long c = cost(f, w);
    if (c > MAX_BYTES) {
      return w;
    }
    drop(i);
    while (!order.isEmpty() && (bytes + c > MAX_BYTES || order.size() >= SLOTS)) {
      Frame old = order.poll();
      if (keys[slot(old)] == old) {
        drop(slot(old));
      }
    }
    keys[i] = f;
    wires[i] = w;
    bytes += c;
    order.add(f);
    return w;
  }

  private static int slot(Frame f) {
    return (int) (f.seq() & (SLOTS - 1));
  }

  private void drop(int i) {
    if (keys[i] != null) {
      bytes -= cost(keys[i], wires[i]);
      keys[i] = null;
      wires[i] = null;
    }
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
