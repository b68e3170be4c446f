package org.daarion.livingmap.history;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.DatabaseUrl;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL that holds history: an external one ({@code DATABASE_URL}) or, when that is unset,
 * an embedded PostgreSQL (zonky) whose data lives in {@code <dataDir>/postgres} and survives
 * restarts. {@link #start} runs the Flyway migrations before returning.
 *
 * <p>Threads: all JDBC is blocking. {@link #executor()} is a bounded worker pool owned by this
 * object for queries; it never runs on a Vert.x event loop. A full pool queue fails the returned
 * future with {@link java.util.concurrent.RejectedExecutionException} (answer 503).
 *
 * <p>Outages: the HikariCP pool replaces broken connections by itself, so a PostgreSQL restart
 * needs no action here; {@link #health()} reports {@code down} with the last error until a ping
 * succeeds again. A background ping runs every {@link #PING_INTERVAL}.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  /** Name of the database the embedded PostgreSQL serves Living Map from. */
  public static final String EMBEDDED_DATABASE = "living_map";

  /**
   * Flyway's own table. Not the default {@code flyway_schema_history}: DAARION services share one
   * database, and another service's Flyway history must not be mistaken for ours.
   */
  public static final String SCHEMA_HISTORY_TABLE = "living_map_schema_history";

  /**
   * A database that already has the original's tables but no Flyway history is baselined at this
   * version; our migrations start at 100 and are idempotent, so they then run over it.
   */
  public static final String BASELINE_VERSION = "99";

  static final Duration PING_INTERVAL = Duration.ofSeconds(5);
  private static final int POOL_SIZE = 8;
  private static final int WORKERS = 4;
  private static final int WORKER_QUEUE = 1000;

  /** Up or down, with the last error seen; cheap to read. */
  public record Health(
      boolean up, String lastError, Instant lastErrorAt, Instant checkedAt, long latencyMs) {}

  private final HikariDataSource dataSource;
  private final EmbeddedPostgres embedded;
  private final String description;
  private final ExecutorService executor;
  private final ScheduledExecutorService pinger;
  private final AtomicReference<Health> health;

  private Database(HikariDataSource dataSource, EmbeddedPostgres embedded, String description) {
    this.dataSource = dataSource;
    this.embedded = embedded;
    this.description = description;
    this.executor =
        new ThreadPoolExecutor(
            WORKERS,
            WORKERS,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(WORKER_QUEUE),
            daemonThreads("living-map-db-"),
            new ThreadPoolExecutor.AbortPolicy());
    this.pinger = Executors.newSingleThreadScheduledExecutor(daemonThreads("living-map-db-ping-"));
    this.health = new AtomicReference<>(new Health(true, null, null, Instant.now(), 0));
  }

  /**
   * Starts (embedded) or connects to (external) the database and migrates it. Blocking: call at
   * start-up, not on an event loop.
   *
   * @throws DatabaseException when the database cannot be reached, started or migrated
   */
  public static Database start(Config config) {
    if (config.databaseUrl.isPresent()) {
      DatabaseUrl url = config.databaseUrl.get();
      return open(pool(url.jdbcUrl(), url.user(), url.password()), null, redact(url.toString()));
    }
    return startEmbedded(config.dataDir);
  }

  private static Database startEmbedded(Path dataDir) {
    EmbeddedPostgres pg = null;
    try {
      Path pgDir = dataDir.resolve("postgres");
      Files.createDirectories(dataDir);
      stopOrphanPostmaster(pgDir);
      int port = rememberedPort(dataDir.resolve("postgres.port"));
      long t0 = System.nanoTime();
      pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(pgDir)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setPGStartupWait(Duration.ofSeconds(60))
              .start();
      log.info(
          "embedded PostgreSQL started on port {} with data in {} ({} ms)",
          port,
          pgDir,
          (System.nanoTime() - t0) / 1_000_000);
      createDatabaseIfAbsent(pg.getPostgresDatabase(), EMBEDDED_DATABASE);
      String jdbcUrl = pg.getJdbcUrl("postgres", EMBEDDED_DATABASE);
      return open(pool(jdbcUrl, "postgres", null), pg, "embedded " + jdbcUrl);
    } catch (IOException | SQLException | RuntimeException e) {
      if (pg != null) {
        try {
          pg.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new DatabaseException(
          "could not start the embedded PostgreSQL in " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private static Database open(HikariDataSource ds, EmbeddedPostgres pg, String description) {
    try {
      migrate(ds);
    } catch (RuntimeException e) {
      ds.close();
      if (pg != null) {
        try {
          pg.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new DatabaseException("could not migrate " + description + ": " + e.getMessage(), e);
    }
    Database db = new Database(ds, pg, description);
    db.pinger.scheduleWithFixedDelay(
        db::pingNow, PING_INTERVAL.toMillis(), PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return db;
  }

  /** Runs the Flyway migrations of {@code classpath:db/migration} (see the class Javadoc). */
  static void migrate(DataSource ds) {
    Flyway.configure()
        .dataSource(ds)
        .locations("classpath:db/migration")
        .table(SCHEMA_HISTORY_TABLE)
        .baselineOnMigrate(true)
        .baselineVersion(BASELINE_VERSION)
        .baselineDescription("existing living-map-service tables (original migration 010)")
        .load()
        .migrate();
  }

  private static HikariDataSource pool(String jdbcUrl, String user, String password) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("living-map");
    hc.setJdbcUrl(jdbcUrl);
    if (user != null) {
      hc.setUsername(user);
    }
    if (password != null) {
      hc.setPassword(password);
    }
    hc.setMaximumPoolSize(POOL_SIZE);
    hc.setMinimumIdle(2);
    // Short enough that a writer notices an outage quickly and health turns degraded.
    hc.setConnectionTimeout(5_000);
    hc.setValidationTimeout(2_000);
    hc.setKeepaliveTime(60_000);
    hc.setInitializationFailTimeout(15_000);
    hc.addDataSourceProperty("ApplicationName", "living-map");
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    // A query must never hang on a dead server forever.
    hc.addDataSourceProperty("socketTimeout", "120");
    try {
      return new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw new DatabaseException(
          "cannot connect to PostgreSQL at " + redact(jdbcUrl) + ": " + rootMessage(e), e);
    }
  }

  static void createDatabaseIfAbsent(DataSource admin, String name) throws SQLException {
    try (Connection c = admin.getConnection();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
        if (rs.next()) {
          return;
        }
      }
      st.execute("CREATE DATABASE " + name);
    }
  }

  /**
   * A PostgreSQL left running by a process that was killed (SIGKILL skips zonky's shutdown hook)
   * still owns the data directory; stop it so that this start can take the directory over.
   */
  private static void stopOrphanPostmaster(Path pgDir) throws IOException {
    Path pidFile = pgDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    if (lines.isEmpty()) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(lines.get(0).trim());
    } catch (NumberFormatException e) {
      return;
    }
    Optional<ProcessHandle> ph = ProcessHandle.of(pid);
    if (ph.isEmpty() || !ph.get().isAlive()) {
      return;
    }
    String cmd = ph.get().info().command().orElse("");
    if (!cmd.contains("postgres")) {
      return;
    }
    log.warn("stopping orphaned PostgreSQL (pid {}) left running in {}", pid, pgDir);
    ph.get().destroy(); // SIGTERM: smart shutdown; its clients died with their process
    try {
      ph.get().onExit().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("orphaned PostgreSQL {} did not stop in 30 s, killing it", pid);
      ph.get().destroyForcibly();
    }
  }

  /**
   * The embedded server keeps its port across restarts (so tools such as psql can find it): the
   * port is remembered in {@code <dataDir>/postgres.port}; a new free one is taken only when it is
   * in use by something else.
   */
  static int rememberedPort(Path file) throws IOException {
    if (Files.exists(file)) {
      try {
        int port = Integer.parseInt(Files.readString(file).trim());
        if (portFree(port)) {
          return port;
        }
        log.warn("remembered PostgreSQL port {} is in use, choosing another", port);
      } catch (NumberFormatException e) {
        log.warn("ignoring unreadable {}", file);
      }
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Files.writeString(file, Integer.toString(port) + "\n");
    return port;
  }

  private static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The connection pool. Blocking: use from your own threads or {@link #executor()} only. */
  public DataSource dataSource() {
    return dataSource;
  }

  /** A bounded pool of worker threads for blocking queries, owned by this object. */
  public ExecutorService executor() {
    return executor;
  }

  /** True when this object runs the embedded PostgreSQL. */
  public boolean embedded() {
    return embedded != null;
  }

  /** The port of the embedded PostgreSQL, if any. */
  public Optional<Integer> embeddedPort() {
    return embedded == null ? Optional.empty() : Optional.of(embedded.getPort());
  }

  /** Where the data lives, without credentials; for logs and the health route. */
  public String description() {
    return description;
  }

  /** The last known health; never blocks. Refreshed every {@link #PING_INTERVAL}. */
  public Health health() {
    return health.get();
  }

  /** Checks the database now, on the worker pool. Never fails: a failure is a {@code down}. */
  public CompletableFuture<Health> ping() {
    return CompletableFuture.supplyAsync(this::pingNow, executor);
  }

  private Health pingNow() {
    long t0 = System.nanoTime();
    Health previous = health.get();
    Health next;
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      st.setQueryTimeout(5);
      st.execute("SELECT 1");
      next =
          new Health(
              true,
              previous.lastError(),
              previous.lastErrorAt(),
              Instant.now(),
              (System.nanoTime() - t0) / 1_000_000);
      if (!previous.up()) {
        log.info("PostgreSQL is reachable again");
      }
    } catch (SQLException | RuntimeException e) {
      next =
          new Health(
              false,
              rootMessage(e),
              Instant.now(),
              Instant.now(),
              (System.nanoTime() - t0) / 1_000_000);
      if (previous.up()) {
        log.warn("PostgreSQL is unreachable: {}", rootMessage(e));
      }
    }
    health.set(next);
    return next;
  }

  /** Records an error seen by a user of the pool (the writer), so health reflects it at once. */
  void reportError(Throwable e) {
    health.set(new Health(false, rootMessage(e), Instant.now(), Instant.now(), 0));
  }

  /** A JDBC URL without its password parameter, for messages. */
  static String redact(String jdbcUrl) {
    return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops the worker pool, closes the pool and stops the embedded server, in that order. */
  @Override
  public void close() {
    pinger.shutdownNow();
    executor.shutdown();
    try {
      if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    dataSource.close();
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
      }
    }
  }
}
