package org.daarion.livingmap.state;

/**
 * Which JetStream stream sequences the live state has applied, among the newest {@link #WINDOW}
 * below the highest one. JetStream delivers in stream order except for redeliveries, and a
 * redelivery may come after later messages were applied: messages handed out before a crash come
 * back only after AckWait, while the restarted consumer already delivers the ones after them. The
 * highest sequence alone cannot tell such a first application from a repeat; this window can.
 *
 * <p>A ring of bits, 128 KiB. Owned by the state owner's thread; not thread-safe.
 */
final class AppliedStreamSeqs {
  /** Sequences this far below the highest are outside the window. */
  static final int WINDOW = 1 << 20;

  private final long[] bits = new long[WINDOW / 64];
  private long highest;

  /** The highest sequence applied, or 0. */
  long highest() {
    return highest;
  }

  /** True when {@code s} is in the window and was applied. */
  boolean contains(long s) {
    if (s <= 0 || s > highest || highest - s >= WINDOW) {
      return false;
    }
    int i = (int) (s & (WINDOW - 1));
    return (bits[i >>> 6] & (1L << i)) != 0;
  }

  /** Records {@code s} as applied; a higher one moves the window (sequences skipped are not). */
  void add(long s) {
    if (s <= 0) {
      return;
    }
    if (s > highest) {
      if (s - highest >= WINDOW) {
        java.util.Arrays.fill(bits, 0L);
      } else {
        for (long x = highest + 1; x < s; x++) {
          clear(x);
        }
      }
      highest = s;
    } else if (highest - s >= WINDOW) {
      return;
    }
    int i = (int) (s & (WINDOW - 1));
    bits[i >>> 6] |= 1L << i;
  }

  /**
   * Everything up to {@code s} counts as applied (a restored snapshot says only how far it got).
   */
  void allUpTo(long s) {
    java.util.Arrays.fill(bits, s > 0 ? -1L : 0L);
    highest = Math.max(0, s);
  }

  /** Forgets everything (the stream was recreated and numbers from 1 again). */
  void reset() {
    java.util.Arrays.fill(bits, 0L);
    highest = 0;
  }

  private void clear(long x) {
    int i = (int) (x & (WINDOW - 1));
    bits[i >>> 6] &= ~(1L << i);
  }
}
