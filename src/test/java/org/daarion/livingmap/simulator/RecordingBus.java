package org.daarion.livingmap.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.source.bus.BusPublisher;

/** A bus that keeps what is published (or only counts it, for rate tests). */
final class RecordingBus implements BusPublisher {
  record Message(String subject, byte[] data, String msgId) {}

  private final boolean keep;
  private final List<Message> messages = new ArrayList<>();
  private final AtomicLong count = new AtomicLong();
  private volatile long firstNanos;

  RecordingBus(boolean keep) {
    this.keep = keep;
  }

  RecordingBus() {
    this(true);
  }

  @Override
  public void publish(String subject, byte[] data, String msgId) {
    if (count.getAndIncrement() == 0) {
      firstNanos = System.nanoTime();
    }
    if (keep) {
      synchronized (messages) {
        messages.add(new Message(subject, data, msgId));
      }
    }
  }

  List<Message> messages() {
    synchronized (messages) {
      return List.copyOf(messages);
    }
  }

  long count() {
    return count.get();
  }

  long firstNanos() {
    return firstNanos;
  }
}
