package org.daarion.livingmap.event;

import java.util.List;

/**
 * Receives sequenced events after they have been applied to the live state, in {@code seq} order,
 * on the state owner's thread. Implementations must return quickly: hand the batch to their own
 * bounded queue and do the work elsewhere.
 */
public interface EventSink {
  void onEvents(List<Event> batch);

  /**
   * Events the state owner did not apply because their source delivered them again after they were
   * applied (a JetStream redelivery). They have no position. A sink that acknowledges to sources
   * must still acknowledge them, after whatever it received before them is safe.
   */
  default void onDuplicates(List<Event> duplicates) {}
}
