package org.daarion.livingmap.source.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.daarion.livingmap.event.EventIntake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Core mode: one {@link Dispatcher} (one thread) subscribed to every subject; each message is
 * queued as it arrived in a {@link CoreIntakeQueue} (or rejected with the reason when that is
 * full), so the dispatcher never waits. Should the client's pending queue pass its limits anyway,
 * the client drops messages (slow consumer): counted in {@link #droppedCount()} and reported once
 * per episode by the error listener. Core NATS has no redelivery: messages published while
 * disconnected or dropped are lost, as in the original service.
 */
final class CoreSubscriber {
  private static final Logger log = LoggerFactory.getLogger(CoreSubscriber.class);
  static final String MSG_ID_HEADER = "Nats-Msg-Id";

  private final List<String> subjects;
  private final CoreIntakeQueue intake;
  private final NatsTuning tuning;
  private final IngestCounters counters;
  private volatile Dispatcher dispatcher;

  CoreSubscriber(
      List<String> subjects, EventIntake intake, NatsTuning tuning, IngestCounters counters) {
    this.subjects = subjects;
    this.intake = new CoreIntakeQueue(intake, tuning.pendingBytes());
    this.tuning = tuning;
    this.counters = counters;
  }

  /** Subscribes on a connected connection; jnats restores the subscriptions after reconnects. */
  void subscribe(Connection conn) {
    Dispatcher d = conn.createDispatcher(this::onMessage);
    d.setPendingLimits(tuning.pendingMessages(), tuning.pendingBytes());
    for (String subject : subjects) {
      d.subscribe(subject);
    }
    try {
      // A round trip: once the server answered, it has registered every subscription.
      conn.flush(Duration.ofSeconds(5));
    } catch (TimeoutException | InterruptedException | RuntimeException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.debug("flush after subscribing failed: {}", e.toString());
    }
    dispatcher = d;
    log.info("NATS core ingest subscribed to {}", subjects);
  }

  /** True once the subscriptions are in place (they survive reconnects). */
  boolean isSubscribed() {
    return dispatcher != null;
  }

  private void onMessage(Message msg) {
    counters.received.incrementAndGet();
    try {
      String msgId = msg.hasHeaders() ? msg.getHeaders().getFirst(MSG_ID_HEADER) : null;
      intake.offer(msg.getSubject(), msg.getData(), msgId);
    } catch (RuntimeException e) {
      // Never let one message kill the dispatcher thread.
      long n = counters.handlerErrors.incrementAndGet();
      if (n <= 10 || Long.bitCount(n) == 1) {
        log.error("NATS message on {} failed in the intake [{} so far]", msg.getSubject(), n, e);
      }
    }
  }

  /** Stops handing messages on, after those already queued (call after unsubscribing). */
  void close() {
    intake.close();
  }

  /** The byte budget between the dispatcher and the intake (metrics). */
  org.daarion.livingmap.event.ByteBudget budget() {
    return intake.budget();
  }

  /** Messages the client dropped because the dispatcher fell behind. */
  long droppedCount() {
    Dispatcher d = dispatcher;
    return d == null ? 0 : d.getDroppedCount();
  }

  long pendingCount() {
    Dispatcher d = dispatcher;
    return d == null ? 0 : d.getPendingMessageCount();
  }
}
