package org.daarion.livingmap.stream;

import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drains every connection of one Vert.x context in one task: the hub's fan-out schedules at most
 * one task per context per batch (not one per connection), and the sockets written in that task are
 * flushed together at its end. Under load, drains then carry many frames per socket and per system
 * call. {@link #schedule} is called from any thread; the rest runs on the context.
 */
final class ContextDrainer {
  private final Context context;
  private final ConcurrentLinkedQueue<StreamConnection> ready = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final List<StreamConnection> batch = new ArrayList<>();
  private final List<StreamWriter> written = new ArrayList<>();
  private boolean running;
  private volatile long lastRun = System.nanoTime() - LINGER_NS;

  /** Minimum time between two drains of one context. */
  static final long LINGER_NS = 1_000_000;

  /** Event frames compressed once for this context's permessage-deflate sockets. */
  final DeflatedFrames deflated;

  ContextDrainer(Context context, StreamStats stats) {
    this.context = context;
    this.deflated = new DeflatedFrames(stats);
  }

  void schedule(StreamConnection c) {
    ready.add(c);
    if (scheduled.compareAndSet(false, true)) {
      if (System.nanoTime() - lastRun >= LINGER_NS) {
        context.runOnContext(v -> run());
      } else {
        // Drained less than a millisecond ago: let this millisecond's events gather, so that a
        // drain writes many frames per socket and system call (at most 1 ms of added latency).
        context.runOnContext(v -> context.owner().setTimer(1, t -> run()));
      }
    }
  }

  /** Whether the current code runs inside this drainer's task (then writes are flushed by it). */
  boolean running() {
    return running;
  }

  /** A connection's writer wrote during the task: flush it at the end. */
  void wrote(StreamWriter w) {
    written.add(w);
  }

  private void run() {
    lastRun = System.nanoTime();
    scheduled.set(false);
    running = true;
    try {
      StreamConnection c;
      while ((c = ready.poll()) != null) {
        batch.add(c);
      }
      for (StreamConnection conn : batch) {
        conn.drainNow();
      }
    } finally {
      running = false;
      batch.clear();
      for (StreamWriter w : written) {
        w.flushNow();
      }
      written.clear();
    }
  }
}
