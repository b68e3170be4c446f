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
   * Frames with {@code afterSeq < seq <= toSeq}, in order, or null when the ring does not hold all
   * of them (the oldest wanted was evicted). Seqs in the ring are consecutive.
   */
  List<Frame> range(long afterSeq, long toSeq) {
    if (toSeq <= afterSeq) {
      return List.of();
    }
    if (size == 0 || firstSeq() > afterSeq + 1 || lastSeq() < toSeq) {
      return null;
    }
    int from = (int) (afterSeq + 1 - firstSeq());
    int count = (int) (toSeq - afterSeq);
    List<Frame> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(slots[(head + from + i) % slots.length]);
    }
    return out;
  }
}
