package org.daarion.livingmap.event;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable UTF-8 byte buffer that events are written into as JSON (stream frames) or COPY text
 * (history) without an intermediate {@code String} per field: on the ingest path every event is
 * written twice, and the detour through {@code String} and a JSON tree cost more than the rest of
 * the state owner's work. One owner thread; reused across events by clearing.
 */
public final class Utf8Buffer {
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LOWER_HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private byte[] buf;
  private int len;

  public Utf8Buffer(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  public int length() {
    return len;
  }

  /** The backing array, valid up to {@link #length()}; changes when the buffer grows. */
  public byte[] array() {
    return buf;
  }

  public void clear() {
    len = 0;
  }

  /** Empties the buffer and, if it grew past {@code max} bytes, gives that memory back. */
  public void clearAndTrim(int max, int capacity) {
    len = 0;
    if (buf.length > max) {
      buf = new byte[Math.max(16, capacity)];
    }
  }

  /** Moves the end to {@code n} (at most the current length), or reserves bytes up to it. */
  public void setLength(int n) {
    ensure(n - len);
    len = n;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  public Utf8Buffer put(byte b) {
    ensure(1);
    buf[len++] = b;
    return this;
  }

  public Utf8Buffer put(char asciiChar) {
    return put((byte) asciiChar);
  }

  /** Appends a string the caller knows is ASCII (names, numbers, ISO dates). */
  public Utf8Buffer ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
    return this;
  }

  public Utf8Buffer bytes(byte[] b) {
    return bytes(b, 0, b.length);
  }

  public Utf8Buffer bytes(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
    return this;
  }

  /** Big-endian, as PostgreSQL's binary formats want. */
  public Utf8Buffer int16(short v) {
    ensure(2);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
    return this;
  }

  public Utf8Buffer int32(int v) {
    ensure(4);
    setInt32(len, v);
    len += 4;
    return this;
  }

  public Utf8Buffer int64(long v) {
    ensure(8);
    for (int i = 7; i >= 0; i--) {
      buf[len + i] = (byte) v;
      v >>>= 8;
    }
    len += 8;
    return this;
  }

  /** Overwrites four bytes already written at {@code at}, big-endian (a length known later). */
  public void setInt32(int at, int v) {
    buf[at] = (byte) (v >>> 24);
    buf[at + 1] = (byte) (v >>> 16);
    buf[at + 2] = (byte) (v >>> 8);
    buf[at + 3] = (byte) v;
  }

  public Utf8Buffer decimal(long v) {
    if (v >= 0 && v < 10) {
      return put((byte) ('0' + v));
    }
    return ascii(Long.toString(v));
  }

  /** Appends any string as UTF-8 (an unpaired surrogate becomes {@code ?}, as in getBytes). */
  public Utf8Buffer utf8(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        return bytes(s.substring(i).getBytes(StandardCharsets.UTF_8));
      }
      buf[len++] = (byte) c;
    }
    return this;
  }

  /**
   * Appends {@code s} as a JSON string, quoted and escaped the way Jackson's generator does: {@code
   * "}, {@code \} and control characters escaped, everything else as UTF-8. Null gives {@code
   * null}.
   */
  public Utf8Buffer jsonString(String s) {
    if (s == null) {
      return ascii("null");
    }
    int n = s.length();
    ensure(n + 2);
    buf[len++] = '"';
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        int end = i + 1;
        while (end < n && s.charAt(end) >= 0x80) {
          end++;
        }
        bytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end - 1;
        continue;
      }
      if (c >= 0x20 && c != '"' && c != '\\') {
        ensure(1);
        buf[len++] = (byte) c;
        continue;
      }
      ensure(6);
      buf[len++] = '\\';
      switch (c) {
        case '"' -> buf[len++] = '"';
        case '\\' -> buf[len++] = '\\';
        case '\b' -> buf[len++] = 'b';
        case '\t' -> buf[len++] = 't';
        case '\f' -> buf[len++] = 'f';
        case '\n' -> buf[len++] = 'n';
        case '\r' -> buf[len++] = 'r';
        default -> {
          buf[len++] = 'u';
          buf[len++] = '0';
          buf[len++] = '0';
          buf[len++] = HEX[c >> 4];
          buf[len++] = HEX[c & 0xF];
        }
      }
    }
    ensure(1);
    buf[len++] = '"';
    return this;
  }

  /** Appends a UUID in its canonical lower-case text form, as {@link java.util.UUID#toString}. */
  public Utf8Buffer uuid(long msb, long lsb) {
    ensure(36);
    hex(msb >>> 32, 8);
    buf[len++] = '-';
    hex(msb >>> 16, 4);
    buf[len++] = '-';
    hex(msb, 4);
    buf[len++] = '-';
    hex(lsb >>> 48, 4);
    buf[len++] = '-';
    hex(lsb, 12);
    return this;
  }

  private void hex(long v, int digits) {
    for (int i = digits - 1; i >= 0; i--) {
      buf[len + i] = LOWER_HEX[(int) (v & 0xF)];
      v >>>= 4;
    }
    len += digits;
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }
}
