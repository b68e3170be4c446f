package org.daarion.livingmap.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.daarion.livingmap.simulator.Dynamics.Emitted;
import org.daarion.livingmap.source.bus.BusPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the simulated network live: each event changes the {@link SimulatedNetwork} and is
 * published through the {@link BusPublisher} as the JSON payload of CONTRACT section 5, with a
 * unique message id.
 *
 * <p><b>Determinism.</b> {@link #tick(int)} is the only way events are made. For a given network
 * seed and the same sequence of ticks, the subjects and payloads are the same (timestamps come from
 * the network's clock; message ids carry a per-run prefix so that two runs never collide in
 * JetStream's or the history's deduplication).
 *
 * <p><b>Threads.</b> {@link #start(double)} paces ticks at a rate on one dedicated daemon thread,
 * never on a Vert.x event loop, because {@link BusPublisher#publish} may block while the in-process
 * bus applies backpressure. Events are published in the order they are made. When publishing falls
 * behind the rate by more than one second's worth of events, the deficit is skipped (counted in
 * {@link #skipped()}) rather than burst later. A publish that throws is logged (rate-limited),
 * counted in {@link #failed()} and the event is dropped; the generator goes on.
 */
public final class SimulatorEventSource {
  private static final Logger log = LoggerFactory.getLogger(SimulatorEventSource.class);

  /** Events made per lock hold: bounds how long an HTTP read may wait for the model. */
  private static final int BATCH = 256;

  private final SimulatedNetwork network;
  private final BusPublisher bus;
  private final Dynamics dynamics;
  private final String msgIdPrefix;
  private final ObjectMapper mapper = new ObjectMapper();
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final Object tickLock = new Object();
  private long sequence; // guarded by tickLock

  private volatile Thread thread;
  private volatile boolean running;

  /**
   * @param seed seeds the dynamics (use the network's seed for a reproducible run)
   * @param msgIdPrefix prefix of message ids; make it unique per run, e.g. {@link #runPrefix()}
   */
  public SimulatorEventSource(
      SimulatedNetwork network, BusPublisher bus, long seed, String msgIdPrefix) {
    this.network = Objects.requireNonNull(network);
    this.bus = Objects.requireNonNull(bus);
    this.dynamics = new Dynamics(network, seed);
    this.msgIdPrefix = Objects.requireNonNull(msgIdPrefix);
  }

  /** A source seeded with the network's seed and a fresh per-run message id prefix. */
  public SimulatorEventSource(SimulatedNetwork network, BusPublisher bus) {
    this(network, bus, network.seed, runPrefix());
  }

  /** {@code sim-<start time base36>-<random>}: distinct across runs and restarts. */
  public static String runPrefix() {
    return "sim-"
        + Long.toString(System.currentTimeMillis(), 36)
        + "-"
        + Long.toString(System.nanoTime() & 0xFFFFFF, 36);
  }

  /**
   * Makes and publishes {@code n} events on the calling thread, in order. Thread-safe (ticks are
   * serialised); the publish happens outside the network's lock.
   *
   * @return the number of events published successfully
   */
  public int tick(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, was " + n);
    }
    int ok = 0;
    synchronized (tickLock) {
      List<Emitted> batch = new ArrayList<>(Math.min(n, BATCH));
      for (int done = 0; done < n; ) {
        int size = Math.min(BATCH, n - done);
        batch.clear();
        network.locked(
            () -> {
              for (int i = 0; i < size; i++) {
                batch.add(dynamics.next());
              }
              return null;
            });
        for (Emitted e : batch) {
          if (publish(e)) {
            ok++;
          }
        }
        done += size;
      }
    }
    return ok;
  }

  private boolean publish(Emitted e) {
    String msgId = msgIdPrefix + "-" + (++sequence);
    try {
      byte[] data = mapper.writeValueAsBytes(e.payload());
      bus.publish(e.subject(), data, msgId);
      published.incrementAndGet();
      return true;
    } catch (JsonProcessingException | RuntimeException ex) {
      long n = failed.incrementAndGet();
      if (Long.bitCount(n) == 1) { // 1, 2, 4, 8, … : loud at first, then rarely
        log.warn("simulator: publish of {} failed ({} failures so far)", e.subject(), n, ex);
      }
      return false;
    }
  }

  /**
   * Starts publishing {@code eventsPerSecond} events per second on a daemon thread named {@code
   * living-map-simulator}. 0 publishes nothing (no thread). Calling it again while running throws.
   */
  public synchronized void start(double eventsPerSecond) {
    if (!(eventsPerSecond >= 0) || Double.isInfinite(eventsPerSecond)) {
      throw new IllegalArgumentException("rate must be >= 0, was " + eventsPerSecond);
    }
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    network.eventsPerSecond(eventsPerSecond);
    if (eventsPerSecond == 0) {
      return;
    }
    running = true;
    Thread t = new Thread(() -> pace(eventsPerSecond), "living-map-simulator");
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  private void pace(double rate) {
    long backlogCap = Math.max(1, (long) Math.ceil(rate));
    long start = System.nanoTime();
    long made = 0;
    while (running) {
      long elapsed = System.nanoTime() - start;
      long due = (long) (elapsed / 1e9 * rate) - made;
      if (due > backlogCap) {
        skipped.addAndGet(due - backlogCap);
        made += due - backlogCap;
        due = backlogCap;
      }
      if (due <= 0) {
        long nextAt = (long) ((made + 1) / rate * 1e9);
        long wait = Math.min(nextAt - elapsed, TimeUnit.MILLISECONDS.toNanos(50));
        LockSupport.parkNanos(Math.max(wait, 100_000));
        continue;
      }
      int n = (int) Math.min(due, BATCH);
      try {
        tick(n);
      } catch (RuntimeException ex) {
        log.error("simulator: tick failed", ex);
      }
      made += n;
    }
  }

  /**
   * Stops the pacing thread and waits up to {@code timeoutMillis} for it to finish its current
   * publish. Blocks: do not call on an event loop. Idempotent.
   */
  public void stop(long timeoutMillis) {
    Thread t;
    synchronized (this) {
      t = thread;
      running = false;
      thread = null;
    }
    if (t == null) {
      return;
    }
    LockSupport.unpark(t);
    try {
      t.join(timeoutMillis);
      if (t.isAlive()) {
        t.interrupt();
        t.join(timeoutMillis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public void stop() {
    stop(5_000);
  }

  public boolean isRunning() {
    return thread != null;
  }

  /** Events published successfully since creation. */
  public long published() {
    return published.get();
  }

  /** Events whose publish threw. */
  public long failed() {
    return failed.get();
  }

  /** Events skipped because publishing fell more than a second behind the rate. */
  public long skipped() {
    return skipped.get();
  }

  public SimulatedNetwork network() {
    return network;
  }
}
