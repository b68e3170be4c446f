package org.daarion.livingmap.event;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The door every event comes in by, whatever the bus: validates on the caller's thread, sends bad
 * events to the {@link RejectedSink} and good ones to the sequencer. Never throws on bad input.
 */
public final class EventIntake {
  private static final Logger log = LoggerFactory.getLogger(EventIntake.class);

  /** Where valid events go: the state owner. Blocks when its queue is full (backpressure). */
  public interface Sequencer {
    void submit(Event event) throws InterruptedException;
  }

  private final EventParser parser;
  private final Sequencer sequencer;
  private final RejectedSink rejected;
  private final Clock clock;
  private final boolean sourceTime;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong rejectedCount = new AtomicLong();

  public EventIntake(EventParser parser, Sequencer sequencer, RejectedSink rejected, Clock clock) {
    this(parser, sequencer, rejected, clock, false);
  }

  /**
   * @param sourceTime stamp events with the time their source gives (JetStream's store time, see
   *     {@link #accept(String, byte[], String, Acker, Instant)}) instead of the time they arrive
   *     here: cluster mode, where every replica must give an event the same timestamp
   */
  public EventIntake(
      EventParser parser,
      Sequencer sequencer,
      RejectedSink rejected,
      Clock clock,
      boolean sourceTime) {
    this.sourceTime = sourceTime;
    this.parser = parser;
    this.sequencer = sequencer;
    this.rejected = rejected;
    this.clock = clock;
  }

  /**
   * Takes one message from a bus. Returns false only when interrupted before the event could be
   * handed on (the caller should not acknowledge it then).
   */
  public boolean accept(String subject, byte[] data, String msgId, Acker acker) {
    return take(subject, data, msgId, acker) != Outcome.INTERRUPTED;
  }

  /**
   * Like {@link #accept(String, byte[], String, Acker)} with the time the source stored the message
   * (null: unknown); used as the event's timestamp when this intake was made with {@code
   * sourceTime}, ignored otherwise.
   */
  public boolean accept(String subject, byte[] data, String msgId, Acker acker, Instant storedAt) {
    Instant at = sourceTime && storedAt != null ? storedAt : clock.instant();
    return take(subject, data, msgId, acker, at) != Outcome.INTERRUPTED;
  }

  /** What became of one message. */
  public enum Outcome {
    ACCEPTED,
    REJECTED,
    INTERRUPTED
  }

  /** Like {@link #accept}, saying whether the event was accepted or rejected. */
  public Outcome take(String subject, byte[] data, String msgId, Acker acker) {
    return take(subject, data, msgId, acker, clock.instant());
  }

  private Outcome take(String subject, byte[] data, String msgId, Acker acker, Instant receivedAt) {
    EventParser.Result result = parser.parse(subject, data, msgId, acker, receivedAt);
    if (!result.ok()) {
      long n = rejectedCount.incrementAndGet();
      if (n <= 10 || Long.bitCount(n) == 1) {
        log.warn(
            "rejected event on {} ({} bytes): {} [{} rejected so far]",
            result.rejection().subject(),
            result.rejection().size(),
            result.rejection().reason(),
            n);
      }
      rejected.reject(result.rejection());
      return Outcome.REJECTED;
    }
    try {
      sequencer.submit(result.event());
      accepted.incrementAndGet();
      return Outcome.ACCEPTED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.INTERRUPTED;
    }
  }

  public long acceptedCount() {
    return accepted.get();
  }

  public long rejectedCount() {
    return rejectedCount.get();
  }
}
