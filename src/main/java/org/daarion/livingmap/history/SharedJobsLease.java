package org.daarion.livingmap.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode: which replica runs the shared jobs (retention, stored snapshots, the events polls
 * and alerts make). A PostgreSQL session advisory lock taken with {@code pg_try_advisory_lock} on a
 * connection this lease keeps for itself.
 *
 * <p><b>Contract.</b> At most one replica {@link #held() holds} the lease at a time, as far as
 * PostgreSQL knows: the lock belongs to the session, so it is released when the holder closes, dies
 * (its socket closes) or loses its connection. Every {@code retryInterval} a replica without the
 * lease tries to take it, and the holder checks that its connection is still alive; a holder whose
 * connection fails stops holding at once (it may have been released already). Failover therefore
 * takes at most one retry interval after PostgreSQL notices the holder is gone. {@link #held()} is
 * a volatile read, cheap from any thread.
 */
public final class SharedJobsLease implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedJobsLease.class);

  /** How often a replica without the lease tries again, and the holder checks its connection. */
  public static final Duration DEFAULT_RETRY = Duration.ofSeconds(2);

  private final DataSource dataSource;
  private final long key;
  private final String name;
  private final String replicaId;
  private final Duration retry;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Database.daemonThreads("living-map-lease-"));
  private final AtomicLong acquisitions = new AtomicLong();
  private Connection connection; // scheduler thread only
  private volatile boolean held;
  private volatile Instant heldSince;
  private volatile String lastError;

  /**
   * @param name what the lease is for; replicas sharing it must use the same name (the stream)
   */
  public SharedJobsLease(DataSource dataSource, String name, String replicaId, Duration retry) {
    this.dataSource = dataSource;
    this.name = name;
    this.key = keyOf(name);
    this.replicaId = replicaId;
    this.retry = retry;
  }

  /** The advisory lock key: a stable 64-bit hash of {@code "living-map-jobs:" + name}. */
  static long keyOf(String name) {
    long h = 1125899906842597L;
    for (char c : ("living-map-jobs:" + name).toCharArray()) {
      h = 31 * h + c;
    }
    return h;
  }

  /** Tries at once, then every retry interval. */
  public void start() {
    scheduler.scheduleWithFixedDelay(this::tick, 0, retry.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void tick() {
    try {
      if (connection == null) {
        connection = dataSource.getConnection();
        connection.setAutoCommit(true);
      }
      if (held) {
        if (!connection.isValid(2)) {
          lose("connection to PostgreSQL no longer valid");
        }
        return;
      }
      try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
        ps.setLong(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            held = true;
            heldSince = Instant.now();
            acquisitions.incrementAndGet();
            log.info("replica {} holds the shared-jobs lease for {}", replicaId, name);
          }
        }
      }
    } catch (SQLException | RuntimeException e) {
      lastError = Database.rootMessage(e);
      lose(lastError);
    }
  }

  private void lose(String why) {
    if (held) {
      log.warn("replica {} lost the shared-jobs lease for {}: {}", replicaId, name, why);
    }
    held = false;
    heldSince = null;
    Connection c = connection;
    connection = null;
    if (c != null) {
      // A pooled connection goes back to the pool: drop the lock first if the session still
      // lives (a broken session has lost it already, and the pool evicts it).
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock_all()")) {
        ps.execute();
      } catch (SQLException e) {
        log.debug("unlocking on a failed lease connection: {}", e.toString());
      }
      try {
        c.close();
      } catch (SQLException e) {
        log.debug("closing the lease connection: {}", e.toString());
      }
    }
  }

  /** Whether this replica runs the shared jobs now. */
  public boolean held() {
    return held;
  }

  public Instant heldSince() {
    return heldSince;
  }

  /** Times this replica took the lease. */
  public long acquisitions() {
    return acquisitions.get();
  }

  public String lastError() {
    return lastError;
  }

  /** Releases the lease (the connection's end releases the lock) and stops trying. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean was = held;
    held = false;
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        if (was) {
          try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, key);
            ps.execute();
          }
        }
        c.close();
      } catch (SQLException e) {
        log.debug("releasing the lease: {}", e.toString());
      }
    }
  }
}
