package org.daarion.livingmap.event;

/**
 * Acknowledges an event to its source once it is safely stored. Called at most once, from the
 * history writer's thread, after the batch holding the event has committed (or after the event was
 * stored as rejected). Sources without acknowledgement use {@link #NONE}.
 */
@FunctionalInterface
public interface Acker {
  Acker NONE = () -> {};

  void ack();
}
