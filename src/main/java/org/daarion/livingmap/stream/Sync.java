package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import java.util.List;

/** What the hub's owner command decided for one connection (see {@link StreamHub#subscribe}). */
record Sync(
    long seq,
    String epoch,
    Buffer snapshot,
    String reason,
    long sinceSeq,
    long historyAfter,
    long historyTo,
    List<Frame> ringFrames,
    Buffer deflatedSnapshot) {
  boolean isSnapshot() {
    return snapshot != null;
  }

  boolean needsHistory() {
    return historyTo > historyAfter;
  }
}
