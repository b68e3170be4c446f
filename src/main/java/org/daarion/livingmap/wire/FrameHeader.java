package org.daarion.livingmap.wire;

/**
 * The header of a final, unmasked WebSocket frame written by hand in front of prepared bytes (RFC
 * 6455 section 5.2): the first byte, then the payload length in 1, 3 or 9 bytes.
 */
public final class FrameHeader {
  private FrameHeader() {}

  /** FIN and opcode 1: a whole text message in one frame. */
  public static final int TEXT = 0x81;

  /** FIN, RSV1 and opcode 1: a whole text message compressed with permessage-deflate (RFC 7692). */
  public static final int COMPRESSED_TEXT = 0xC1;

  /** The header's length for {@code n} payload bytes: 2, 4 or 10. */
  public static int length(int n) {
    return n < 126 ? 2 : n < 65536 ? 4 : 10;
  }

  /** Writes the header for {@code n} payload bytes at the start of {@code out}. */
  public static void write(byte[] out, int first, int n) {
    out[0] = (byte) first;
    if (n < 126) {
      out[1] = (byte) n;
    } else if (n < 65536) {
      out[1] = 126;
      out[2] = (byte) (n >>> 8);
      out[3] = (byte) n;
    } else {
      out[1] = 127;
      for (int i = 0; i < 8; i++) {
        out[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
      }
    }
  }
}
