package org.daarion.livingmap.stream;

import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.IsoInstantWriter;
import org.daarion.livingmap.event.Utf8Buffer;

/**
 * Writes event frames ({@link Frames}' {@code event} kind) straight into the bytes a socket sends:
 * the fields by hand in the order of the contract, the payload as the bytes it arrived as when they
 * are plain JSON, and the WebSocket header in front, all in one array that {@link Frame#bytes()}
 * and {@link Frame#wire()} share. Every event pays for this once, listeners or not (the ring keeps
 * frames for resume), so it is kept to one pass and one allocation. The frame keeps only the
 * event's {@link Event#header() header}: the ring holds tens of thousands of frames for about a
 * second each, and a payload tree and a bus message in each were most of what the collector had to
 * copy. One owner thread.
 */
final class EventFrameEncoder {
  private final Utf8Buffer json = new Utf8Buffer(1024);
  private final IsoInstantWriter time = new IsoInstantWriter();

  /** The frame of {@code e}; with {@code prev_seq} when {@code prevSeq >= 0} (cluster mode). */
  Frame frame(Event e, long prevSeq) {
    Utf8Buffer b = json;
    b.clear();
    b.ascii("{\"kind\":\"event\",\"seq\":").decimal(e.seq());
    if (prevSeq >= 0) {
      b.ascii(",\"prev_seq\":").decimal(prevSeq);
    }
    b.ascii(",\"epoch\":").jsonString(e.epoch());
    b.ascii(",\"event_type\":").jsonString(e.eventType());
    b.ascii(",\"timestamp\":");
    if (e.timestamp() == null) {
      b.ascii("null");
    } else {
      b.put('"');
      time.write(b, e.timestamp());
      b.put('"');
    }
    b.ascii(",\"entity_id\":").jsonString(e.entityId());
    b.ascii(",\"entity_type\":").jsonString(e.entityType());
    b.ascii(",\"source_service\":").jsonString(e.sourceService());
    b.ascii(",\"payload\":");
    byte[] payload = e.payloadBytes();
    if (payload == null) {
      b.ascii("null");
    } else {
      b.bytes(payload);
    }
    b.put('}');
    int n = b.length();
    int header = Frame.headerLength(n);
    byte[] out = new byte[header + n];
    Frame.writeHeader(out, n);
    System.arraycopy(b.array(), 0, out, header, n);
    return Frame.framed(e.header(), out, header, prevSeq >= 0 ? prevSeq : e.seq() - 1);
  }
}
