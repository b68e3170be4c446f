package org.daarion.livingmap.event;

import java.time.Instant;

/**
 * An event that was not applied: kept with its raw bytes (at most {@link #MAX_RAW_BYTES}) and the
 * reason, so nothing is lost and the cause can be read back.
 */
public record Rejection(
    Instant receivedAt,
    String subject,
    String reason,
    byte[] raw,
    int size,
    String msgId,
    Acker acker) {
  /** Raw bytes kept per rejected event; the rest is cut, {@code size} keeps the full length. */
  public static final int MAX_RAW_BYTES = 64 * 1024;

  public Rejection {
    if (acker == null) {
      acker = Acker.NONE;
    }
  }
}
