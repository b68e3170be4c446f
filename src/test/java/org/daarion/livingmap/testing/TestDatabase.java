package org.daarion.livingmap.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.DatabaseUrl;

/**
 * Real PostgreSQL for tests. One embedded server (zonky) per test JVM, started lazily and stopped
 * by a shutdown hook; or, when {@code LIVING_MAP_TEST_DATABASE_URL} is set, that server. Each
 * caller of {@link #create()} gets a fresh, empty database with a random name, so test classes are
 * isolated.
 */
public final class TestDatabase {
  public static final String ENV = "LIVING_MAP_TEST_DATABASE_URL";

  /** A fresh database: its JDBC URL (credentials included) and the settings to reach it. */
  public record Fresh(String name, String jdbcUrl, String user, String password) {
    /** {@code DATABASE_URL} as the service takes it. */
    public String databaseUrl() {
      return jdbcUrl;
    }

    public Config config() {
      return config(Map.of());
    }

    /** Default config pointed at this database, with extra settings (env-variable names). */
    public Config config(Map<String, String> extra) {
      Map<String, String> env = new java.util.HashMap<>(extra);
      env.put("DATABASE_URL", jdbcUrl);
      return Config.of(env);
    }

    public Connection connect() throws SQLException {
      return DriverManager.getConnection(jdbcUrl, user, password);
    }
  }

  private static EmbeddedPostgres shared;
  private static Server server;
  private static final List<String> created = new ArrayList<>();

  private record Server(String host, int port, String adminDb, String user, String password) {
    String url(String db) {
      return "jdbc:postgresql://" + host + ":" + port + "/" + db;
    }
  }

  private TestDatabase() {}

  /** Creates a new empty database on the shared server. */
  public static synchronized Fresh create() {
    Server s = server();
    String name = "lm_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = DriverManager.getConnection(s.url(s.adminDb()), s.user(), s.password());
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database: " + e.getMessage(), e);
    }
    created.add(name);
    String url = s.url(name);
    String withCreds =
        url + "?user=" + s.user() + (s.password() == null ? "" : "&password=" + s.password());
    return new Fresh(name, withCreds, s.user(), s.password());
  }

  private static Server server() {
    if (server != null) {
      return server;
    }
    String external = System.getenv(ENV);
    if (external != null && !external.isBlank()) {
      DatabaseUrl u = DatabaseUrl.parse(ENV, external);
      java.net.URI uri = java.net.URI.create(u.jdbcUrl().substring("jdbc:".length()));
      String db =
          uri.getPath() == null || uri.getPath().length() <= 1
              ? "postgres"
              : uri.getPath().substring(1);
      server =
          new Server(
              uri.getHost(),
              uri.getPort() > 0 ? uri.getPort() : 5432,
              db,
              u.user() == null ? "postgres" : u.user(),
              u.password());
    } else {
      try {
        shared =
            EmbeddedPostgres.builder()
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .setServerConfig("full_page_writes", "off")
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL for tests", e);
      }
      server = new Server("localhost", shared.getPort(), "postgres", "postgres", null);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::shutdown, "test-db-shutdown"));
    return server;
  }

  private static synchronized void shutdown() {
    if (shared != null) {
      try {
        shared.close();
      } catch (IOException ignored) {
        // the JVM is exiting
      }
      return;
    }
    if (server != null) {
      try (Connection c =
              DriverManager.getConnection(
                  server.url(server.adminDb()), server.user(), server.password());
          Statement st = c.createStatement()) {
        for (String name : created) {
          st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
      } catch (SQLException ignored) {
        // best effort on exit
      }
    }
  }

  /**
   * A private embedded PostgreSQL on {@code dataDir} and {@code port}, for tests that stop and
   * start the server (outages, restarts). The caller closes it.
   */
  public static EmbeddedPostgres startPrivate(Path dataDir, int port) {
    try {
      return EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setPort(port)
          .setServerConfig("fsync", "off")
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir, e);
    }
  }

  /** A TCP port that is free right now on the loopback interface. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
