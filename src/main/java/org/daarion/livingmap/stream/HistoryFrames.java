package org.daarion.livingmap.stream;

import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.event.Event;

/**
 * A resume's events from history ({@link MissedEvents}) as frames, or nothing when history cannot
 * vouch for the whole run: a resume then gets a snapshot, never a gap.
 */
final class HistoryFrames {
  private HistoryFrames() {}

  /**
   * The frames of the events {@code (after, to]} of {@code epoch} in {@code events} (which may hold
   * more), or null when history lags, lost rows or crossed an epoch. Our own seqs are consecutive,
   * so every one must be there; in cluster mode ({@code holes}) seqs have holes and the history
   * source answers only when its run is complete, so ascending order is what is checked, and the
   * frames carry {@code prev_seq}.
   */
  static List<Frame> of(List<Event> events, String epoch, long after, long to, boolean holes) {
    if (events == null) {
      return null;
    }
    List<Frame> frames = new ArrayList<>();
    EventFrameEncoder encoder = new EventFrameEncoder();
    long expect = after + 1;
    long prev = after;
    boolean complete = true;
    for (Event e : events) {
      if (e.seq() <= after) {
        continue;
      }
      if (e.seq() > to) {
        break;
      }
      if ((holes ? e.seq() <= prev : e.seq() != expect) || !epoch.equals(e.epoch())) {
        complete = false;
        break;
      }
      frames.add(encoder.frame(e, holes ? prev : -1));
      prev = e.seq();
      expect++;
    }
    return (holes ? complete : expect == to + 1) ? frames : null;
  }
}
