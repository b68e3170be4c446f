package org.daarion.livingmap.history;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.daarion.livingmap.config.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores the current snapshot every interval ({@code LIVING_MAP_SNAPSHOT_INTERVAL}, 5 minutes by
 * default), sooner once {@code LIVING_MAP_SNAPSHOT_EVENTS} events were applied since the last one,
 * and once more on {@link #close()}. Saves never overlap: they run one at a time on this
 * scheduler's thread. A failed save is logged and counted; the next one tries again.
 *
 * <p>Why by events too: a past state is the snapshot before it plus every event after that, so the
 * events between two snapshots are what time travel and {@code /diff} cost. At DAARION's size today
 * 5 minutes are 6,000 events; at 100x they were 658,053, and one time travel took 13.1 s
 * (2026-12-07), a diff of two instants twice that, near the request timeout.
 */
public final class SnapshotScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotScheduler.class);
  static final Duration SAVE_TIMEOUT = Duration.ofSeconds(30);

  private final SnapshotStore store;
  private final SnapshotSource source;
  private final Duration interval;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Database.daemonThreads("living-map-snapshots-"));
  private final AtomicLong saved = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile Instant lastSavedAt;
  private volatile String lastError;
  private volatile boolean closed;
  private final AtomicBoolean soonQueued = new AtomicBoolean();
  private final BooleanSupplier active;
  private final LongSupplier position;
  private final long everyEvents;

  /**
   * The position of the last save, and when it was taken: on this scheduler's thread (after {@link
   * #start}).
   */
  private long savedPosition;

  private long savedNanos;

  /** How often the event count is looked at: a save then waits at most this past its count. */
  static final Duration CHECK = Duration.ofSeconds(1);

  /**
   * Scheduled and final snapshots only while {@code active} says so (cluster mode: while this
   * replica holds the shared-jobs lease); {@link #saveNow} always stores.
   *
   * @param position the live state's event position ({@code seq}): a snapshot is stored once it
   *     moved {@code LIVING_MAP_SNAPSHOT_EVENTS} past the last one's
   */
  public SnapshotScheduler(
      SnapshotStore store,
      SnapshotSource source,
      Config config,
      BooleanSupplier active,
      LongSupplier position) {
    this(store, source, config.snapshotInterval, active, position, config.snapshotEvents);
  }

  public SnapshotScheduler(SnapshotStore store, SnapshotSource source, Duration interval) {
    this(store, source, interval, () -> true, () -> 0, 0);
  }

  SnapshotScheduler(
      SnapshotStore store,
      SnapshotSource source,
      Duration interval,
      BooleanSupplier active,
      LongSupplier position,
      long everyEvents) {
    this.store = store;
    this.source = source;
    this.interval = interval;
    this.active = active;
    this.position = position;
    this.everyEvents = everyEvents;
  }

  /**
   * Stores a snapshot every interval, the first one interval after this call, or once the events
   * since the last save reach the count.
   */
  public void start() {
    long check = Math.min(interval.toMillis(), CHECK.toMillis());
    counted(); // here, before the schedule's first run: handing it the task publishes these
    scheduler.scheduleWithFixedDelay(this::tick, check, check, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    try {
      long at = position.getAsLong();
      if (at < savedPosition) {
        savedPosition = 0; // a new epoch: its events count from its start
      }
      if (System.nanoTime() - savedNanos >= interval.toNanos()
          || (everyEvents > 0 && at - savedPosition >= everyEvents)) {
        saveSafely();
      }
    } catch (RuntimeException e) {
      // A task that throws is never run again: no snapshot would be stored from then on.
      failures.incrementAndGet();
      log.warn("snapshot schedule check failed: {}", e.toString());
    }
  }

  /** Stores the current snapshot now (queued behind a save in progress). */
  public CompletableFuture<StoredSnapshot> saveNow() {
    CompletableFuture<StoredSnapshot> result = new CompletableFuture<>();
    scheduler.execute(
        () -> {
          try {
            result.complete(saveBlocking());
          } catch (Exception e) {
            result.completeExceptionally(e);
          }
        });
    return result;
  }

  /**
   * Stores a snapshot as soon as the save in progress (if any) is done; calls while one is waiting
   * to run add nothing, so a burst of changes costs one or two saves.
   */
  public void saveSoon() {
    if (closed || !soonQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      scheduler.execute(
          () -> {
            soonQueued.set(false);
            saveSafely();
          });
    } catch (RejectedExecutionException stopping) {
      // closing: the final snapshot of close() stores what this one would have
    }
  }

  /**
   * An interval and a count start again from now, whether or not a save follows (not the lease
   * holder) or succeeds: the next attempt comes an interval or a count later, not on every check.
   */
  private void counted() {
    savedNanos = System.nanoTime();
    savedPosition = position.getAsLong();
  }

  private void saveSafely() {
    if (!active.getAsBoolean()) {
      counted(); // as a save would (saveBlocking counts its own)
      return;
    }
    try {
      saveBlocking();
    } catch (Exception e) {
      // logged and counted in saveBlocking
    }
  }

  private StoredSnapshot saveBlocking() throws Exception {
    counted();
    try {
      SnapshotData data = source.current().get(SAVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      StoredSnapshot s = store.saveBlocking(data);
      saved.incrementAndGet();
      lastSavedAt = Instant.now();
      log.debug("stored snapshot at seq {} ({} bytes)", s.seq(), s.sizeBytes());
      return s;
    } catch (Exception e) {
      failures.incrementAndGet();
      lastError = Database.rootMessage(e);
      log.warn("could not store a snapshot: {}", lastError);
      throw e;
    }
  }

  public long saved() {
    return saved.get();
  }

  public long failures() {
    return failures.get();
  }

  public Instant lastSavedAt() {
    return lastSavedAt;
  }

  public String lastError() {
    return lastError;
  }

  /**
   * Stops the schedule and stores a final snapshot (waiting at most 30 s). Call before the state
   * and the database are closed.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!active.getAsBoolean()) {
      scheduler.shutdownNow();
      return;
    }
    try {
      saveNow().get(SAVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("no snapshot stored on shutdown: {}", Database.rootMessage(e));
    }
    scheduler.shutdownNow();
  }
}
