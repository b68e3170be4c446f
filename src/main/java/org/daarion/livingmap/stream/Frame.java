package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import org.daarion.livingmap.event.Event;

/**
 * One event serialised once as a stream frame: the same {@code bytes} go to every socket that wants
 * it. Immutable; nobody writes into {@code bytes}. A control frame (a note such as {@code resumed})
 * has no event and goes only to one connection.
 */
record Frame(Event event, Buffer bytes) {
  long seq() {
    return event == null ? -1 : event.seq();
  }

  static Frame of(Event e) {
    return new Frame(e, Frames.event(e));
  }

  static Frame control(Buffer bytes) {
    return new Frame(null, bytes);
  }

  /** Whether a connection with {@code max_rate} may coalesce this frame (node metrics). */
  boolean coalescible() {
    if (event == null || event.entityId() == null) {
      return false;
    }
    String t = event.eventType();
    return t != null && t.startsWith("node.metrics.");
  }
}
