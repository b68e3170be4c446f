package org.daarion.livingmap.history;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Time-ordered UUIDs (RFC 9562 version 7) for history ids: consecutive events get nearby keys, so
 * the primary-key index of a large history table is appended to instead of written at random pages.
 */
final class Uuid7 {
  private Uuid7() {}

  static UUID next(Instant at) {
    long ms = at == null ? System.currentTimeMillis() : at.toEpochMilli();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (ms << 16) | 0x7000L | (r.nextLong() & 0x0FFFL);
    long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }
}
