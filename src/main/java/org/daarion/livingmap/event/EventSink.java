package org.daarion.livingmap.event;

import java.util.List;

/**
 * Receives sequenced events after they have been applied to the live state, in {@code seq} order,
 * on the state owner's thread, one sink after another in the order they were added.
 *
 * <p><b>Blocking.</b> While a sink runs the owner waits: no event is applied, no command runs, and
 * the sinks after it have to wait as well. A sink should therefore hand the batch to a bounded
 * queue of its own and return. One sink blocks by design: the history writer ({@code
 * HistoryWriter.onEvents}) waits while its queue is full, so that no event is ever dropped and
 * ingest slows to PostgreSQL's pace. The stream hub is added after it, so while PostgreSQL is
 * slower than the ingest every WebSocket gets no new event: connections stay open, and when the
 * writer catches up they get the events that were held back, in order and with no gap ({@code
 * SlowHistoryStallsStreamTest} shows it with a locked history table). Commands queued behind the
 * blocked batch (a stream subscription, a poll merge) wait too, or are refused at once when the
 * owner's queue is full. In cluster mode the history writer is not a sink (the shared durable
 * consumer feeds it), so nothing here waits for PostgreSQL.
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
