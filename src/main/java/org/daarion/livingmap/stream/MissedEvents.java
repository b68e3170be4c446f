package org.daarion.livingmap.stream;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.daarion.livingmap.event.Event;

/**
 * Where the stream finds events older than its in-memory ring when a client resumes (the history
 * store). The stream asks only for positions it cannot serve from memory and checks the answer:
 * anything but the exact consecutive run it asked for makes it send a resync snapshot instead, so
 * an implementation that lags behind (history is written in batches) or lost rows costs a snapshot,
 * never a gap.
 */
@FunctionalInterface
public interface MissedEvents {
  /** No history: a position older than the ring gets a resync snapshot. */
  MissedEvents NONE = (epoch, afterSeq, limit) -> CompletableFuture.completedFuture(List.of());

  /**
   * The events of {@code epoch} with {@code seq > afterSeq}, ascending by seq, at most {@code
   * limit}. May complete on any thread; must not block the caller.
   */
  CompletableFuture<List<Event>> after(String epoch, long afterSeq, int limit);
}
