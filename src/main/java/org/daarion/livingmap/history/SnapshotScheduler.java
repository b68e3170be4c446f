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
import org.daarion.livingmap.config.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores the current snapshot every interval ({@code LIVING_MAP_SNAPSHOT_INTERVAL}, 5 minutes by
 * default) and once more on {@link #close()}. Saves never overlap: they run one at a time on this
 * scheduler's thread. A failed save is logged and counted; the next one tries again.
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

  public SnapshotScheduler(SnapshotStore store, SnapshotSource source, Config config) {
    this(store, source, config.snapshotInterval);
  }

  /**
   * Scheduled and final snapshots only while {@code active} says so (cluster mode: while this
   * replica holds the shared-jobs lease); {@link #saveNow} always stores.
   */
  public SnapshotScheduler(
      SnapshotStore store, SnapshotSource source, Config config, BooleanSupplier active) {
    this(store, source, config.snapshotInterval, active);
  }

  public SnapshotScheduler(SnapshotStore store, SnapshotSource source, Duration interval) {
    this(store, source, interval, () -> true);
  }

  private SnapshotScheduler(
      SnapshotStore store, SnapshotSource source, Duration interval, BooleanSupplier active) {
    this.store = store;
    this.source = source;
    this.interval = interval;
    this.active = active;
  }

  /** Stores a snapshot every interval, the first one interval after this call. */
  public void start() {
    scheduler.scheduleWithFixedDelay(
        this::saveSafely, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
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

  private void saveSafely() {
    if (!active.getAsBoolean()) {
      return;
    }
    try {
      saveBlocking();
    } catch (Exception e) {
      // logged and counted in saveBlocking
    }
  }

  private StoredSnapshot saveBlocking() throws Exception {
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
