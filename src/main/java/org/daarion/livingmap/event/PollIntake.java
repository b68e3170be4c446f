package org.daarion.livingmap.event;

import java.util.concurrent.CompletableFuture;

/**
 * The door a poll of an upstream source comes in by, beside {@link EventIntake} for bus events.
 * Sources depend on this interface, never on the state: the state owner implements it and merges
 * the poll on its own thread, between events, after every earlier event reached the sinks.
 *
 * <p>Never blocks, so it may be called from an event loop (the poller's). When the owner's queue is
 * full the returned stage fails at once with {@link
 * java.util.concurrent.RejectedExecutionException} and the poll is dropped: the next poll of the
 * source carries the same picture. Otherwise the stage completes once the poll is merged and the
 * events it derived were handed to the sinks.
 */
@FunctionalInterface
public interface PollIntake {
  CompletableFuture<Void> applyPoll(UpstreamPoll poll);
}
