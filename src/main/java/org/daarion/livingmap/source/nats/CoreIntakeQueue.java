package org.daarion.livingmap.source.nats;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.ByteBudget;
import org.daarion.livingmap.event.EventIntake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NATS core: messages as they arrived, between the client's dispatcher and the intake, bounded in
 * bytes ({@code LIVING_MAP_NATS_BUFFER_BYTES}) with the REJECT policy. Core NATS has no flow
 * control: a dispatcher that waits (for a full state queue, or while it parses a 1 MiB event) lets
 * the client's buffer fill, and the client then drops messages that nobody ever sees. So the
 * dispatcher only queues the bytes here, or, when they do not fit, stores the event as rejected
 * with the reason (its first 4 KiB and its size, see {@link EventIntake#rejectOverBudget}); one
 * thread parses and hands them to the intake, which may wait for the state owner.
 */
final class CoreIntakeQueue {
  private static final Logger log = LoggerFactory.getLogger(CoreIntakeQueue.class);

  private record Raw(String subject, byte[] data, String msgId) {}

  private final EventIntake intake;
  private final ByteBudget budget;
  private final BlockingQueue<Raw> queue = new ArrayBlockingQueue<>(100_000);
  private final Thread thread;
  private volatile boolean running = true;

  CoreIntakeQueue(EventIntake intake, long bytes) {
    this.intake = intake;
    this.budget = new ByteBudget("nats-core", bytes, ByteBudget.Overflow.REJECT);
    this.thread = new Thread(this::run, "living-map-nats-core-intake");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** On the dispatcher's thread: queues the message or rejects it; never waits. */
  void offer(String subject, byte[] data, String msgId) {
    long w = weight(data);
    if (budget.tryAcquire(w)) {
      if (queue.offer(new Raw(subject, data, msgId))) {
        return;
      }
      budget.release(w);
    }
    intake.rejectOverBudget(subject, data, msgId, Acker.NONE);
  }

  private static long weight(byte[] data) {
    return 128L + data.length;
  }

  private void run() {
    while (running || !queue.isEmpty()) {
      Raw r;
      try {
        r = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        if (!running) {
          break;
        }
        continue;
      }
      if (r == null) {
        continue;
      }
      try {
        intake.accept(r.subject(), r.data(), r.msgId(), Acker.NONE);
      } catch (RuntimeException e) {
        log.error("NATS core message on {} failed in the intake", r.subject(), e);
      } finally {
        budget.release(weight(r.data()));
      }
    }
  }

  ByteBudget budget() {
    return budget;
  }

  int depth() {
    return queue.size();
  }

  /** Hands what is queued to the intake, then stops (waits at most 10 s). */
  void close() {
    running = false;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!queue.isEmpty()) {
      log.warn("{} NATS core messages not handed to the intake at stop", queue.size());
    }
  }
}
