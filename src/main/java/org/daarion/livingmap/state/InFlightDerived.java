package org.daarion.livingmap.state;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.event.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode: the derived events (reconciliation, alerts) this replica published to the shared
 * stream and has not seen come back yet. A poll merged meanwhile compares against the state with
 * them applied ({@link #over}), so that it does not publish the same changes again. The state
 * owner's thread only; not thread-safe.
 */
final class InFlightDerived {
  private static final Logger log = LoggerFactory.getLogger(StateOwner.class);

  /**
   * How long a published derived event counts as on its way; one not seen back by then (a lost
   * publish) stops shaping the next poll's comparison.
   */
  static final long IN_FLIGHT_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** A derived event published and not seen back through the stream yet. */
  private record Sent(Event event, long sentAt) {}

  /** Oldest first. */
  private final ArrayDeque<Sent> sent = new ArrayDeque<>();

  void sent(Event e) {
    sent.addLast(new Sent(e, System.nanoTime()));
  }

  /**
   * An event came back through the stream; the derived event it matches is no longer on its way.
   */
  void returned(Event e) {
    Iterator<Sent> it = sent.iterator();
    while (it.hasNext()) {
      Event s = it.next().event();
      if (s.eventType().equals(e.eventType()) && s.payload().equals(e.payload())) {
        it.remove();
        return;
      }
    }
  }

  /** A scratch copy of {@code state} with the derived events still on their way applied. */
  LiveState over(LiveState state) {
    long now = System.nanoTime();
    while (!sent.isEmpty() && now - sent.peekFirst().sentAt() > IN_FLIGHT_NANOS) {
      sent.pollFirst();
    }
    LiveState scratch = state.copy();
    for (Sent f : sent) {
      Event e = f.event();
      try {
        Reducers.apply(e, scratch.resolve(e.entityId()), scratch.seq(), scratch);
      } catch (RuntimeException ex) {
        log.debug(
            "in-flight {} not applied to the scratch state: {}", e.eventType(), ex.toString());
      }
    }
    return scratch;
  }

  int size() {
    return sent.size();
  }
}
