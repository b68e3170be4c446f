package org.daarion.livingmap.event;

/**
 * Acknowledges an event to its source once it is safely stored. Called at most once, after the
 * transaction that stored the event (as history or as rejected) has committed, by the history
 * writer: on its acknowledgement thread ({@code living-map-history-acks}), or on the writer's own
 * thread ({@code living-map-history-writer}) when acknowledging falls behind and its small queue is
 * full. An event that was never committed is never acknowledged. Implementations must be safe to
 * call from any thread and must not block for long (an exception is logged and ignored). Sources
 * without acknowledgement use {@link #NONE}.
 */
@FunctionalInterface
public interface Acker {
  Acker NONE = () -> {};

  void ack();
}
