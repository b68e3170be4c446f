package org.daarion.livingmap.state;

import org.daarion.livingmap.event.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a JetStream redelivery (applied already: a repeat) from a first delivery, including one
 * that comes late, overtaken by the messages after it, and notices a recreated stream that numbers
 * from 1 again. Single-replica mode only: in cluster mode the stream sequence is the position and a
 * repeat is simply one at or below it. The state owner's thread only; not thread-safe.
 */
final class StreamRedelivery {
  private static final Logger log = LoggerFactory.getLogger(StateOwner.class);

  /**
   * A stream sequence this far below the newest one applied is not a redelivery but a stream that
   * was recreated and numbers from 1 again. JetStream redelivers at most MaxAckPending messages
   * back, far fewer than this.
   */
  static final long STREAM_RESET_DISTANCE = 1_000_000;

  /** JetStream stream sequences applied, to tell a redelivery from a late first delivery. */
  private final AppliedStreamSeqs applied = new AppliedStreamSeqs();

  /**
   * The JetStream stream (its epoch, from the message ids) the stream sequences in {@link #applied}
   * belong to; null until a JetStream event was applied.
   */
  private String streamEpoch;

  /**
   * Whether {@code e} was applied already. When it was not, it is counted as applied from here on,
   * and the state's newest stream sequence follows it.
   */
  boolean isRepeat(Event e, LiveState state) {
    long streamSeq = e.streamSequence();
    if (streamSeq <= 0) {
      return false;
    }
    followStream(e.msgId(), streamSeq, state);
    long newest = state.streamSeq();
    if (streamSeq <= newest && newest - streamSeq < STREAM_RESET_DISTANCE) {
      if (applied.contains(streamSeq)) {
        return true;
      }
      // Not applied yet although later ones were: a first delivery that came back after
      // AckWait, overtaken by the messages after it (a restart, a dropped subscription).
    } else {
      if (streamSeq <= newest) {
        log.warn(
            "JetStream sequence went back from {} to {}: the stream was recreated",
            newest,
            streamSeq);
        applied.reset();
      }
      state.streamSeq(streamSeq);
    }
    applied.add(streamSeq);
    return false;
  }

  /** An event replayed from history at start: applied, whatever it was before. */
  void replayed(Event e, LiveState state) {
    if (e.streamSequence() > 0) {
      followStream(e.msgId(), e.streamSequence(), state);
    }
    if (e.streamSequence() > state.streamSeq()) {
      state.streamSeq(e.streamSequence());
    }
    applied.add(e.streamSequence());
  }

  /** The state was restored from a cut: everything up to its stream sequence counts as applied. */
  void restoredTo(long streamSeq) {
    applied.allUpTo(streamSeq);
  }

  /**
   * A recreated stream (another epoch in the message id) starts its sequences again at 1: what was
   * applied of the old one says nothing about them. Ids of the form before issue 17 ({@code
   * js:<stream>:<seq>}) count as an epoch of their own: the ingest keeps that form for the stream
   * it was reading at the upgrade (so no change is seen there) and uses the new form only for a
   * stream recreated since.
   */
  private void followStream(String msgId, long streamSeq, LiveState state) {
    int colon = msgId.lastIndexOf(':');
    String from = msgId.substring("js:".length(), Math.max("js:".length(), colon));
    String was = streamEpoch;
    streamEpoch = from;
    if (was == null || was.equals(from)) {
      return;
    }
    log.warn(
        "JetStream stream recreated (epoch {} -> {}, at its sequence {}): its sequences start again",
        was,
        from,
        streamSeq);
    applied.reset();
    state.streamSeq(0);
  }
}
