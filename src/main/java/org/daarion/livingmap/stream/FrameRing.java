package org.daarion.livingmap.stream;

import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.event.Event;

/**
 * The most recent event frames of the current epoch, for resume: bounded by a count and by bytes,
 * oldest evicted first. Owned by the state owner's thread (the hub appends in {@code onEvents} and
 * reads inside owner commands), so it needs no lock.
 *
 * <p>A frame is held as its event header and framed bytes in parallel arrays, and made again as a
 * {@link Frame} when a resume reads it: at 100x the ring holds about 40,000 frames for about 20 s,
 * the lifetime G1 handles worst, and each held {@code Frame} kept five more objects (its two buffer
 * views and their wrappers) that every young collection copied until they were promoted.
 */
final class FrameRing {
  private final Event[] events;
  private final byte[][] framed;
  private final int[] headers;
  private final long[] prevSeqs;
  private final long maxBytes;
  private int head; // index of the oldest
  private int size;
  private long bytes;

  FrameRing(int capacity, long maxBytes) {
    int n = Math.max(1, capacity);
    this.events = new Event[n];
    this.framed = new byte[n][];
    this.headers = new int[n];
    this.prevSeqs = new long[n];
    this.maxBytes = maxBytes;
  }

  /** Holds an event frame (one made by {@link Frame#framed}). */
  void append(Frame f) {
    if (size == events.length) {
      evictOldest();
    }
    int i = (head + size) % events.length;
    byte[] out = f.framedArray();
    events[i] = f.event();
    framed[i] = out;
    headers[i] = out.length - f.bytes().length();
    prevSeqs[i] = f.prevSeq();
    size++;
    bytes += payloadLength(i);
    while (bytes > maxBytes && size > 1) {
      evictOldest();
    }
  }

  private long payloadLength(int slot) {
    return framed[slot].length - headers[slot];
  }

  private void evictOldest() {
    bytes -= payloadLength(head);
    events[head] = null;
    framed[head] = null;
    head = (head + 1) % events.length;
    size--;
  }

  void clear() {
    while (size > 0) {
      evictOldest();
    }
    head = 0;
  }

  int size() {
    return size;
  }

  long bytes() {
    return bytes;
  }

  /** Seq of the oldest frame held, or -1 when empty. */
  long firstSeq() {
    return size == 0 ? -1 : seqAt(0);
  }

  long lastSeq() {
    return size == 0 ? -1 : seqAt(size - 1);
  }

  /**
   * Frames with {@code afterSeq < seq <= toSeq}, in order, or null when the ring cannot prove it
   * holds all of them: the oldest frame after {@code afterSeq} must be the one that follows it (its
   * {@code prevSeq} is at or below {@code afterSeq}, or an older frame is still held), and the
   * newest must reach {@code toSeq}. Seqs in the ring ascend; they are consecutive in a single
   * instance and have holes in cluster mode (stream sequences), which {@code prevSeq} bridges.
   */
  List<Frame> range(long afterSeq, long toSeq) {
    if (toSeq <= afterSeq) {
      return List.of();
    }
    if (size == 0 || lastSeq() < toSeq) {
      return null;
    }
    int from = firstAfter(afterSeq);
    if (from >= size) {
      return null;
    }
    if (from == 0 && prevSeqs[slot(0)] > afterSeq) {
      return null;
    }
    List<Frame> out = new ArrayList<>();
    for (int i = from; i < size && seqAt(i) <= toSeq; i++) {
      int s = slot(i);
      out.add(Frame.framed(events[s], framed[s], headers[s], prevSeqs[s]));
    }
    return out;
  }

  private int slot(int i) {
    return (head + i) % events.length;
  }

  private long seqAt(int i) {
    return events[slot(i)].seq();
  }

  /** Index (from the oldest) of the first frame with seq above {@code seq}; size when none. */
  private int firstAfter(long seq) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (seqAt(mid) <= seq) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
