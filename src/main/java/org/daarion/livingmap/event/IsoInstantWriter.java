package org.daarion.livingmap.event;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Writes instants exactly as {@link Instant#toString()} does, for a fraction of its cost: events
 * arrive many to a second, so the date and time of day are formatted once per second and only the
 * fraction per event. One owner thread.
 */
public final class IsoInstantWriter {
  private long second = Long.MIN_VALUE;
  private byte[] prefix;

  public void write(Utf8Buffer out, Instant t) {
    long s = t.getEpochSecond();
    if (s != second) {
      String whole = Instant.ofEpochSecond(s).toString(); // "...T06:49:00Z"
      prefix = whole.substring(0, whole.length() - 1).getBytes(StandardCharsets.US_ASCII);
      second = s;
    }
    out.bytes(prefix);
    int nanos = t.getNano();
    if (nanos != 0) {
      // ISO_INSTANT prints the fraction in groups of three digits.
      int digits = nanos % 1_000_000 == 0 ? 3 : nanos % 1_000 == 0 ? 6 : 9;
      int value = digits == 3 ? nanos / 1_000_000 : digits == 6 ? nanos / 1_000 : nanos;
      out.put('.');
      int start = out.length();
      out.setLength(start + digits);
      byte[] a = out.array();
      for (int i = start + digits - 1; i >= start; i--) {
        a[i] = (byte) ('0' + value % 10);
        value /= 10;
      }
    }
    out.put('Z');
  }
}
