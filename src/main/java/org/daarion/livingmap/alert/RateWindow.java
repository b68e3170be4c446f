package org.daarion.livingmap.alert;

/**
 * A count of events over a sliding window, kept in {@link #BUCKETS} buckets: adding and counting
 * are O(1) amortised. An event leaves the count between {@code window - window/BUCKETS} and {@code
 * window} after it was added. Owned by one thread.
 */
final class RateWindow {
  static final int BUCKETS = 12;

  private final long bucketMillis;
  private final int[] counts = new int[BUCKETS];
  private long head = Long.MIN_VALUE;
  private long total;

  RateWindow(long windowMillis) {
    this.bucketMillis = Math.max(1, windowMillis / BUCKETS);
  }

  void add(long now) {
    advance(now);
    counts[index(head)]++;
    total++;
  }

  long count(long now) {
    advance(now);
    return total;
  }

  private void advance(long now) {
    long b = Math.floorDiv(now, bucketMillis);
    if (head == Long.MIN_VALUE) {
      head = b;
      return;
    }
    if (b <= head) {
      return;
    }
    long steps = Math.min(b - head, BUCKETS);
    for (long i = 1; i <= steps; i++) {
      int ix = index(head + i);
      total -= counts[ix];
      counts[ix] = 0;
    }
    head = b;
  }

  private static int index(long bucket) {
    return (int) Math.floorMod(bucket, (long) BUCKETS);
  }
}
