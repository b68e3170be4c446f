package org.daarion.livingmap.history;

import java.util.List;
import java.util.UUID;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.IsoInstantWriter;
import org.daarion.livingmap.event.Utf8Buffer;

/**
 * Events as rows of PostgreSQL's COPY text format for {@link HistoryWriter#COPY_EVENTS}: fields
 * separated by tabs, {@code \N} for NULL, backslash, tab, newline and carriage return escaped, NUL
 * (which PostgreSQL text cannot hold) replaced by U+FFFD. Written as bytes in one pass; the payload
 * is the JSON text the event arrived as when it has it (see {@link Event#payloadBytes()}). One
 * owner thread: the buffer is reused from batch to batch.
 */
final class CopyText {
  private final Utf8Buffer buf = new Utf8Buffer(1 << 16);
  private final IsoInstantWriter time = new IsoInstantWriter();

  /** The rows of {@code events}; valid until the next call. */
  Utf8Buffer rows(List<Event> events) {
    buf.clear();
    for (Event e : events) {
      UUID id = Uuid7.next(e.timestamp());
      buf.uuid(id.getMostSignificantBits(), id.getLeastSignificantBits()).put('\t');
      buf.decimal(e.seq()).put('\t');
      text(e.epoch());
      if (e.timestamp() == null) {
        buf.ascii("\\N\t");
      } else {
        time.write(buf, e.timestamp());
        buf.put('\t');
      }
      text(e.eventType());
      byte[] payload = e.payloadBytes();
      if (payload == null) {
        buf.ascii("{}");
      } else {
        json(payload);
      }
      buf.put('\t');
      text(e.sourceService());
      text(e.entityId());
      text(e.entityType());
      text(e.msgId());
      buf.array()[buf.length() - 1] = '\n';
    }
    return buf;
  }

  /** A text field and its tab. */
  private void text(String v) {
    if (v == null) {
      buf.ascii("\\N\t");
      return;
    }
    int n = v.length();
    for (int i = 0; i < n; i++) {
      char c = v.charAt(i);
      if (c >= 0x80) {
        int end = i + 1;
        while (end < n && v.charAt(end) >= 0x80) {
          end++;
        }
        buf.utf8(v.substring(i, end));
        i = end - 1;
        continue;
      }
      switch (c) {
        case '\\' -> buf.put('\\').put('\\');
        case '\t' -> buf.put('\\').put('t');
        case '\n' -> buf.put('\\').put('n');
        case '\r' -> buf.put('\\').put('r');
        case '\0' -> buf.utf8("\uFFFD");
        default -> buf.put((byte) c);
      }
    }
    buf.put('\t');
  }

  /** JSON text (UTF-8, no NUL: the parser and the encoder never produce one) with its escapes. */
  private void json(byte[] p) {
    int from = 0;
    for (int i = 0; i < p.length; i++) {
      byte b = p[i];
      if (b == '\\' || b == '\t' || b == '\n' || b == '\r') {
        buf.bytes(p, from, i - from);
        buf.put('\\').put(b == '\\' ? '\\' : b == '\t' ? 't' : b == '\n' ? 'n' : 'r');
        from = i + 1;
      }
    }
    buf.bytes(p, from, p.length - from);
  }
}
