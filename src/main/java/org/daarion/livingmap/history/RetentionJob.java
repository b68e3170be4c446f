package org.daarion.livingmap.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.daarion.livingmap.config.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes history older than the retention, stored snapshots beyond the newest {@code
 * snapshotsKept}, and rejected events older than the retention. Runs at {@link #start()} and then
 * every interval, on its own thread. Deletes in batches of {@code batchSize} rows, each its own
 * short transaction, with a pause between batches, so no lock is held long and the writer keeps
 * going. A failed run is logged and counted; the next run tries again.
 */
public final class RetentionJob implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);

  public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(10);
  public static final int DEFAULT_BATCH = 5000;
  public static final Duration DEFAULT_PAUSE = Duration.ofMillis(50);

  /** What one run removed. */
  public record Result(
      long historyDeleted, int historyBatches, long snapshotsDeleted, long rejectedDeleted) {}

  private final DataSource dataSource;
  private final Duration retention;
  private final int snapshotsKept;
  private final Duration interval;
  private final int batchSize;
  private final Duration pause;
  private final Clock clock;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Database.daemonThreads("living-map-retention-"));
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong historyDeleted = new AtomicLong();
  private final AtomicLong snapshotsDeleted = new AtomicLong();
  private final AtomicLong rejectedDeleted = new AtomicLong();
  private volatile String lastError;
  private volatile Instant lastRunAt;
  private final BooleanSupplier active;

  /** Retention and snapshots kept from the config, every 10 minutes. */
  public RetentionJob(Database database, Config config) {
    this(database, config, () -> true);
  }

  /**
   * Like {@link #RetentionJob(Database, Config)}, running only while {@code active} says so
   * (cluster mode: while this replica holds the shared-jobs lease); a skipped run waits for the
   * next interval.
   */
  public RetentionJob(Database database, Config config, BooleanSupplier active) {
    this(
        database.dataSource(),
        config.retention,
        config.snapshotsKept,
        DEFAULT_INTERVAL,
        DEFAULT_BATCH,
        DEFAULT_PAUSE,
        Clock.systemUTC(),
        active);
  }

  public RetentionJob(
      DataSource dataSource,
      Duration retention,
      int snapshotsKept,
      Duration interval,
      int batchSize,
      Duration pause,
      Clock clock) {
    this(dataSource, retention, snapshotsKept, interval, batchSize, pause, clock, () -> true);
  }

  private RetentionJob(
      DataSource dataSource,
      Duration retention,
      int snapshotsKept,
      Duration interval,
      int batchSize,
      Duration pause,
      Clock clock,
      BooleanSupplier active) {
    this.dataSource = dataSource;
    this.retention = retention;
    this.snapshotsKept = snapshotsKept;
    this.interval = interval;
    this.batchSize = batchSize;
    this.pause = pause;
    this.clock = clock;
    this.active = active;
  }

  /** Runs now and then every interval. */
  public void start() {
    scheduler.scheduleWithFixedDelay(
        this::runSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runSafely() {
    if (!active.getAsBoolean()) {
      return;
    }
    try {
      Result r = runOnce();
      if (r.historyDeleted() + r.snapshotsDeleted() + r.rejectedDeleted() > 0) {
        log.info(
            "retention removed {} history rows in {} batches, {} snapshots, {} rejected events",
            r.historyDeleted(),
            r.historyBatches(),
            r.snapshotsDeleted(),
            r.rejectedDeleted());
      }
    } catch (Exception e) {
      failures.incrementAndGet();
      lastError = Database.rootMessage(e);
      log.warn("retention run failed, will retry at the next run: {}", lastError);
    }
  }

  /** One run, blocking, on the caller's thread. */
  public Result runOnce() throws SQLException, InterruptedException {
    Instant cutoff = clock.instant().minus(retention);
    long history = 0;
    int batches = 0;
    while (true) {
      int n =
          update(
              "DELETE FROM living_map_history WHERE ctid = ANY(ARRAY("
                  + "SELECT ctid FROM living_map_history WHERE timestamp < ? LIMIT ?))",
              cutoff);
      if (n > 0) {
        batches++;
        history += n;
        historyDeleted.addAndGet(n);
      }
      if (n < batchSize) {
        break;
      }
      Thread.sleep(pause.toMillis());
    }
    long snapshots = 0;
    while (true) {
      int n;
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM living_map_snapshots WHERE id IN (SELECT id FROM"
                      + " living_map_snapshots ORDER BY generated_at DESC OFFSET ? LIMIT ?)")) {
        ps.setInt(1, snapshotsKept);
        ps.setInt(2, batchSize);
        n = ps.executeUpdate();
      }
      snapshots += n;
      snapshotsDeleted.addAndGet(n);
      if (n < batchSize) {
        break;
      }
      Thread.sleep(pause.toMillis());
    }
    long rejected = 0;
    while (true) {
      int n =
          update(
              "DELETE FROM living_map_rejected_events WHERE id IN (SELECT id FROM"
                  + " living_map_rejected_events WHERE received_at < ? LIMIT ?)",
              cutoff);
      rejected += n;
      rejectedDeleted.addAndGet(n);
      if (n < batchSize) {
        break;
      }
      Thread.sleep(pause.toMillis());
    }
    runs.incrementAndGet();
    lastRunAt = clock.instant();
    return new Result(history, batches, snapshots, rejected);
  }

  private int update(String sql, Instant cutoff) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setTimestamp(1, Timestamp.from(cutoff));
      ps.setInt(2, batchSize);
      return ps.executeUpdate();
    }
  }

  public long runs() {
    return runs.get();
  }

  public long failures() {
    return failures.get();
  }

  /** History rows deleted since start (metric). */
  public long historyRowsDeleted() {
    return historyDeleted.get();
  }

  public long snapshotsDeleted() {
    return snapshotsDeleted.get();
  }

  public long rejectedDeleted() {
    return rejectedDeleted.get();
  }

  public String lastError() {
    return lastError;
  }

  public Instant lastRunAt() {
    return lastRunAt;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
