package org.daarion.livingmap.stream;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.wire.FrameHeader;
import org.daarion.livingmap.wire.VertxInternals;

/**
 * One event serialised once as a stream frame: the same {@code bytes} go to every socket that wants
 * it. {@code wire} is the same message already framed as an unmasked WebSocket text frame (header
 * and payload, what every socket without a compression extension sends byte for byte), so a drain
 * can hand many of them to the socket in one write. Immutable; nobody writes into either. A control
 * frame (a note such as {@code resumed}) has no event and goes only to one connection.
 *
 * <p>{@code prevSeq} is the seq of the event before this one in the hub's order: {@code seq - 1}
 * when seqs are consecutive; in cluster mode, where seqs are JetStream stream sequences with holes,
 * the frame says it as {@code prev_seq} so that a client tells a hole from a gap.
 */
record Frame(Event event, Buffer bytes, ByteBuf wire, long prevSeq) {
  long seq() {
    return event == null ? -1 : event.seq();
  }

  static Frame control(Buffer bytes) {
    return new Frame(null, bytes, null, -1);
  }

  /**
   * The frame of an event whose message is {@code out}: a header of {@code header} bytes written by
   * {@link #writeHeader}, then the payload. {@code bytes} and {@code wire} share the array.
   */
  static Frame framed(Event event, byte[] out, int header, long prevSeq) {
    return new Frame(
        event,
        VertxInternals.shared(out, header, out.length - header),
        VertxInternals.sharedWire(out),
        prevSeq);
  }

  /**
   * The array of an event frame made by {@link #framed}: its header, then its payload ({@code
   * wire}'s whole array).
   */
  byte[] framedArray() {
    return wire.array();
  }

  /** Whether a connection with {@code max_rate} may coalesce this frame (node metrics). */
  boolean coalescible() {
    if (event == null || event.entityId() == null) {
      return false;
    }
    String t = event.eventType();
    return t != null && t.startsWith("node.metrics.");
  }

  /**
   * The header length of a final, unmasked text frame (RFC 6455 section 5.2) with {@code n} payload
   * bytes: 2, 4 or 10.
   */
  static int headerLength(int n) {
    return FrameHeader.length(n);
  }

  /** Writes that header at the start of {@code out}. */
  static void writeHeader(byte[] out, int n) {
    FrameHeader.write(out, FrameHeader.TEXT, n);
  }
}
