package org.daarion.livingmap.history;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.Utf8Buffer;

/**
 * Events as rows of PostgreSQL's binary COPY format for {@link HistoryRows#COPY_EVENTS}: a uuid as
 * 16 bytes, seq as 8, the timestamp as microseconds since 2000, text as UTF-8 and the payload as
 * jsonb (a version byte and the JSON text). Binary because PostgreSQL then parses no uuid, number
 * or date text and unescapes nothing, which is a good part of its cost per row; the payload is the
 * JSON text the event arrived as when it has it (see {@link Event#payloadBytes()}). Text cannot
 * hold NUL in PostgreSQL, so a NUL in a text field becomes U+FFFD, as the insert path does.
 *
 * <p>A COPY is {@link #header()}, any number of {@link #rows} chunks, then {@link #trailer()}. One
 * owner thread: the buffer is reused from chunk to chunk.
 */
final class CopyRows {
  /** Seconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z. */
  private static final long PG_EPOCH_SECONDS = 946_684_800L;

  private static final byte[] SIGNATURE = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0
  };
  private static final short FIELDS = 10;

  /**
   * A chunk ends once it holds this many bytes (with at least one row): chunks of a fixed number of
   * rows grew the buffer to 24 MB with the adversary suite's 1 MiB events (and 128 such rows would
   * have made it 128 MB), and the buffer kept that memory from batch to batch (heap dump,
   * 2026-12-07).
   */
  static final int CHUNK_BYTES = 1 << 20;

  private static final int CAPACITY = 1 << 16;

  private final Utf8Buffer buf = new Utf8Buffer(CAPACITY);

  /** The ids and payload bytes of the rows since {@link #header()}, for {@link RecentHistory}. */
  private final List<UUID> ids = new ArrayList<>();

  private final List<byte[]> payloads = new ArrayList<>();

  /** The signature, no flags and no header extension. */
  Utf8Buffer header() {
    ids.clear();
    payloads.clear();
    buf.clearAndTrim(4 * CHUNK_BYTES, CAPACITY);
    buf.bytes(SIGNATURE).int32(0).int32(0);
    return buf;
  }

  /** The end of the data. */
  Utf8Buffer trailer() {
    buf.clear();
    buf.int16((short) -1);
    return buf;
  }

  /**
   * Encodes rows of {@code events} from {@code from} on, at most {@code maxRows}, until the chunk
   * holds {@link #CHUNK_BYTES}; the chunk is {@link #chunk()}, valid until the next call.
   *
   * @return the index after the last row encoded
   */
  int rows(List<Event> events, int from, int maxRows) {
    buf.clear();
    int i = from;
    int end = Math.min(events.size(), from + maxRows);
    while (i < end && (i == from || buf.length() < CHUNK_BYTES)) {
      Event e = events.get(i++);
      buf.int16(FIELDS);
      UUID id = Uuid7.next(e.timestamp());
      ids.add(id);
      buf.int32(16).int64(id.getMostSignificantBits()).int64(id.getLeastSignificantBits());
      buf.int32(8).int64(e.seq());
      text(e.epoch());
      if (e.timestamp() == null) {
        buf.int32(-1); // NOT NULL: refused as a data error, stored as rejected
      } else {
        buf.int32(8).int64(micros(e.timestamp()));
      }
      text(e.eventType());
      byte[] payload = e.payloadBytes();
      payloads.add(payload == null ? EMPTY_OBJECT : payload);
      if (payload == null) {
        buf.int32(3).put((byte) 1).put('{').put('}');
      } else {
        buf.int32(payload.length + 1).put((byte) 1).bytes(payload);
      }
      text(e.sourceService());
      text(e.entityId());
      text(e.entityType());
      text(e.msgId());
    }
    return i;
  }

  /** The chunk {@link #rows(List, int, int)} encoded last. */
  Utf8Buffer chunk() {
    return buf;
  }

  private static final byte[] EMPTY_OBJECT = {'{', '}'};

  /** The ids of the rows since {@link #header()}, in order. */
  List<UUID> ids() {
    return ids;
  }

  /** The payload bytes of the rows since {@link #header()}, in order. */
  List<byte[]> payloads() {
    return payloads;
  }

  /** A text field as it is stored: PostgreSQL text holds no NUL. */
  static String stored(String v) {
    return v == null || v.indexOf('\0') < 0 ? v : v.replace('\0', '\uFFFD');
  }

  /**
   * Microseconds since PostgreSQL's epoch, rounded half to even as PostgreSQL rounds the text form
   * of a finer instant.
   */
  static long micros(Instant t) {
    long micros = Math.multiplyExact(t.getEpochSecond() - PG_EPOCH_SECONDS, 1_000_000L);
    int nanos = t.getNano();
    long us = nanos / 1_000;
    int rest = nanos % 1_000;
    if (rest > 500 || (rest == 500 && (us & 1) == 1)) {
      us++;
    }
    return micros + us;
  }

  private void text(String v) {
    if (v == null) {
      buf.int32(-1);
      return;
    }
    int at = buf.length();
    buf.int32(0);
    buf.utf8(stored(v));
    buf.setInt32(at, buf.length() - at - 4);
  }
}
