package org.daarion.livingmap.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;

/**
 * A whole service under test: free ports, a fresh database on the shared test PostgreSQL, a
 * temporary data directory.
 */
public final class TestApps {
  private TestApps() {}

  public static Config config(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("PORT", "0");
    env.put("LIVING_MAP_HOST", "127.0.0.1");
    env.put("LIVING_MAP_SIM_PORT", "0");
    env.put("DATABASE_URL", TestDatabase.create().databaseUrl());
    try {
      env.put("LIVING_MAP_DATA_DIR", Files.createTempDirectory("living-map-test").toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    env.putAll(overrides);
    env.values().removeIf(v -> v == null);
    return Config.of(env);
  }

  /**
   * Settings of a service ingesting from JetStream on {@code natsUrl} into {@code databaseUrl},
   * simulator off; a mutable map, for a test's own additions.
   */
  public static Map<String, String> jetStreamEnv(String databaseUrl, String natsUrl) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", databaseUrl);
    env.put("NATS_URL", natsUrl);
    env.put("LIVING_MAP_NATS_MODE", "jetstream");
    env.put("LIVING_MAP_SIMULATOR", "off");
    return env;
  }

  public static Application start(Config config) {
    return Application.start(config).toCompletionStage().toCompletableFuture().join();
  }
}
