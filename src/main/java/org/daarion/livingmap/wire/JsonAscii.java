package org.daarion.livingmap.wire;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON text with every non-ASCII character written as a {@code \\uXXXX} escape: the same JSON value
 * to any parser, in bytes that a browser keeps as a one-byte string.
 *
 * <p>Why: DAARION's names are partly Cyrillic, and one such character anywhere makes the whole
 * decoded snapshot (8.9 MB at 100x) a two-byte string in V8. Decoding it, handing it from the
 * stream worker to the page and parsing it took 240-350 ms in Chromium against 100-110 ms for the
 * same snapshot escaped (measured 2026-12-07, bench/ui-fps). The escapes cost 5 bytes per such
 * character (about 15 KB at 100x, before gzip).
 *
 * <p>Input must be JSON as Jackson writes it (valid UTF-8, non-ASCII only inside strings), which is
 * what every caller passes.
 */
public final class JsonAscii {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private JsonAscii() {}

  /** {@code json} itself when it is ASCII already, else a copy with non-ASCII escaped. */
  public static byte[] escape(byte[] json) {
    int first = firstNonAscii(json);
    if (first < 0) {
      return json;
    }
    String tail = new String(json, first, json.length - first, StandardCharsets.UTF_8);
    byte[] out = new byte[first + tail.length() * 6];
    System.arraycopy(json, 0, out, 0, first);
    int n = first;
    for (int i = 0; i < tail.length(); i++) {
      char c = tail.charAt(i);
      if (c < 0x80) {
        out[n++] = (byte) c;
      } else {
        // a character beyond the BMP is two UTF-16 units here, each escaped: the JSON form
        out[n++] = '\\';
        out[n++] = 'u';
        out[n++] = HEX[(c >> 12) & 0xF];
        out[n++] = HEX[(c >> 8) & 0xF];
        out[n++] = HEX[(c >> 4) & 0xF];
        out[n++] = HEX[c & 0xF];
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** {@code json} itself when it is ASCII already, else a copy (on the heap) with it escaped. */
  public static Buffer escape(Buffer json) {
    for (int i = 0, n = json.length(); i < n; i++) {
      if (json.getByte(i) < 0) {
        return Buffer.buffer(escape(json.getBytes()));
      }
    }
    return json;
  }

  private static int firstNonAscii(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] < 0) {
        return i;
      }
    }
    return -1;
  }
}
