package org.daarion.livingmap.stream;

import java.util.ArrayList;
import java.util.List;

/**
 * The most recent event frames of the current epoch, for resume: bounded by a count and by bytes,
 * oldest evicted first. Owned by the state owner's thread (the hub appends in {@code onEvents} and
 * reads inside owner commands), so it needs no lock.
 */
final class FrameRing {
  private final Frame[] slots;
  private final long maxBytes;
  private int head; // index of the oldest
  private int size;
  private long bytes;

  FrameRing(int capacity, long maxBytes) {
    this.slots = new Frame[Math.max(1, capacity)];
    this.maxBytes = maxBytes;
  }

  void append(Frame f) {
    if (size == slots.length) {
      evictOldest();
    }
    slots[(head + size) % slots.length] = f;
    size++;
    bytes += f.bytes().length();
    while (bytes > maxBytes && size > 1) {
      evictOldest();
    }
  }

  private void evictOldest() {
    Frame old = slots[head];
    slots[head] = null;
    head = (head + 1) % slots.length;
    size--;
    bytes -= old.bytes().length();
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
    return size == 0 ? -1 : slots[head].seq();
  }

  long lastSeq() {
    return size == 0 ? -1 : slots[(head + size - 1) % slots.length].seq();
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
    if (from == 0 && at(0).prevSeq() > afterSeq) {
      return null;
    }
    List<Frame> out = new ArrayList<>();
    for (int i = from; i < size; i++) {
      Frame f = at(i);
      if (f.seq() > toSeq) {
        break;
      }
      out.add(f);
    }
    return out;
  }

  private Frame at(int i) {
    return slots[(head + i) % slots.length];
  }

  /** Index (from the oldest) of the first frame with seq above {@code seq}; size when none. */
  private int firstAfter(long seq) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (at(mid).seq() <= seq) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
