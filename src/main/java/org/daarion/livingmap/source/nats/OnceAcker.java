package org.daarion.livingmap.source.nats;

import io.nats.client.Connection;
import io.nats.client.Message;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.daarion.livingmap.event.Acker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JetStream message's {@link Acker}: acknowledges once, from any thread; never throws. Holds the
 * reply subject, not the message: an event waits for its commit for a while, and the bus message
 * (payload, headers, metadata) would wait with it, tens of thousands of them, for the collector to
 * copy again and again.
 */
final class OnceAcker implements Acker {
  private static final Logger log = LoggerFactory.getLogger(JetStreamPuller.class);

  /** What {@link Message#ack()} sends to the message's reply subject. */
  private static final byte[] ACK = "+ACK".getBytes(StandardCharsets.US_ASCII);

  private final Connection connection;
  private final String replyTo;
  private final IngestCounters counters;
  private final BooleanSupplier sameStream;
  private final AtomicBoolean done = new AtomicBoolean();

  OnceAcker(
      Connection connection, String replyTo, IngestCounters counters, BooleanSupplier sameStream) {
    this.connection = connection;
    this.replyTo = replyTo;
    this.counters = counters;
    this.sameStream = sameStream;
  }

  @Override
  public void ack() {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    if (!sameStream.getAsBoolean()) {
      // The stream was recreated since: the reply subject names the consumer and sequence,
      // not the stream's epoch, so this ack would settle the new stream's message there.
      counters.settled();
      return;
    }
    try {
      connection.publish(replyTo, ACK);
      counters.acked.incrementAndGet();
    } catch (RuntimeException e) {
      // Connection closed: the message is delivered again later and history dedupes it.
      long n = counters.ackFailures.incrementAndGet();
      if (n <= 10 || Long.bitCount(n) == 1) {
        log.warn("JetStream ack failed ({} so far): {}", n, e.toString());
      }
    } finally {
      counters.settled();
    }
  }

  void abandon() {
    if (done.compareAndSet(false, true)) {
      counters.settled();
    }
  }
}
