package org.daarion.livingmap.source.nats;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Counters shared by the ingest's threads; all atomic. */
final class IngestCounters {
  final AtomicLong received = new AtomicLong();
  final AtomicLong acked = new AtomicLong();
  final AtomicLong ackFailures = new AtomicLong();
  final AtomicLong handlerErrors = new AtomicLong();
  final AtomicLong pullErrors = new AtomicLong();
  final AtomicLong skipped = new AtomicLong();
  final AtomicLong redelivered = new AtomicLong();
  final AtomicLong consumerRecoveries = new AtomicLong();

  private final Object outstandingMonitor = new Object();
  private long outstanding;

  /** An event was handed to the intake and waits for its ack. */
  void handedOff() {
    synchronized (outstandingMonitor) {
      outstanding++;
    }
  }

  /** An event handed off was acknowledged or abandoned. */
  void settled() {
    synchronized (outstandingMonitor) {
      outstanding--;
      if (outstanding <= 0) {
        outstandingMonitor.notifyAll();
      }
    }
  }

  long outstanding() {
    synchronized (outstandingMonitor) {
      return outstanding;
    }
  }

  /** Waits until every handed-off event is settled, or the timeout; true when all are. */
  boolean awaitSettled(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (outstandingMonitor) {
      while (outstanding > 0) {
        long leftMs = (deadline - System.nanoTime()) / 1_000_000;
        if (leftMs <= 0) {
          return false;
        }
        outstandingMonitor.wait(leftMs);
      }
      return true;
    }
  }
}
