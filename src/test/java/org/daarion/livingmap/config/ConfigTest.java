package org.daarion.livingmap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
  @Test
  void defaultsAreTheOriginalsWithEmbeddedAlternatives() {
    Config c = Config.of(Map.of());
    assertThat(c.port).isEqualTo(7017);
    assertThat(c.databaseUrl).isEmpty();
    assertThat(c.natsUrl).isEmpty();
    assertThat(c.natsMode).isEqualTo(NatsMode.CORE);
    assertThat(c.natsSubjects).contains("usage.llm", "usage.llm.>", "node.metrics.>");
    assertThat(c.pollInterval).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.retention).isEqualTo(Duration.ofDays(30));
    assertThat(c.simulatorEnabled()).isTrue();
  }

  @Test
  void flagsWinOverEnvironment() {
    Config c =
        Config.load(
            Map.of("PORT", "8000"), new String[] {"--port", "9000", "--nats-mode=jetstream"});
    assertThat(c.port).isEqualTo(9000);
    assertThat(c.natsMode).isEqualTo(NatsMode.JETSTREAM);
  }

  @Test
  void clusterModeNeedsJetStreamAndASharedDatabase() {
    Map<String, String> ok =
        Map.of(
            "LIVING_MAP_REPLICA_ID", "living-map-0",
            "LIVING_MAP_NATS_MODE", "jetstream",
            "NATS_URL", "nats://nats:4222",
            "DATABASE_URL", "postgresql://u:p@db:5432/daarion");
    Config c = Config.of(ok);
    assertThat(c.clustered()).isTrue();
    assertThat(c.replicaId).contains("living-map-0");
    assertThat(c.streamSubjects()).contains(Config.CLUSTER_SUBJECTS).containsAll(c.natsSubjects);
    assertThat(Config.of(Map.of()).clustered()).isFalse();
    assertThat(Config.of(Map.of()).streamSubjects()).isEqualTo(Config.of(Map.of()).natsSubjects);

    java.util.function.Function<Map<String, String>, Map<String, String>> with =
        change -> {
          Map<String, String> m = new java.util.HashMap<>(ok);
          change.forEach(
              (k, v) -> {
                if (v == null) {
                  m.remove(k);
                } else {
                  m.put(k, v);
                }
              });
          return m;
        };
    Map<String, String> noDatabase = new java.util.HashMap<>();
    noDatabase.put("DATABASE_URL", null);
    assertThatThrownBy(() -> Config.of(with.apply(noDatabase)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LIVING_MAP_REPLICA_ID")
        .hasMessageContaining("DATABASE_URL");
    assertThatThrownBy(() -> Config.of(with.apply(Map.of("LIVING_MAP_NATS_MODE", "core"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LIVING_MAP_REPLICA_ID")
        .hasMessageContaining("LIVING_MAP_NATS_MODE=jetstream");
    Map<String, String> noNats = new java.util.HashMap<>();
    noNats.put("NATS_URL", null);
    assertThatThrownBy(() -> Config.of(with.apply(noNats))).hasMessageContaining("NATS_URL");
    assertThatThrownBy(() -> Config.of(with.apply(Map.of("LIVING_MAP_SIMULATOR", "on"))))
        .hasMessageContaining("LIVING_MAP_SIMULATOR");
    assertThatThrownBy(() -> Config.of(with.apply(Map.of("LIVING_MAP_REPLICA_ID", "a b"))))
        .hasMessageContaining("LIVING_MAP_REPLICA_ID")
        .hasMessageContaining("'a b'");
  }

  @Test
  void badPortNamesTheSetting() {
    assertThatThrownBy(() -> Config.of(Map.of("PORT", "abc")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("PORT")
        .hasMessageContaining("abc");
  }

  @Test
  void badUrlsNameTheSetting() {
    assertThatThrownBy(() -> Config.of(Map.of("AGENTS_SERVICE_URL", "not a url")))
        .hasMessageContaining("AGENTS_SERVICE_URL");
    assertThatThrownBy(() -> Config.of(Map.of("NATS_URL", "http://x")))
        .hasMessageContaining("NATS_URL");
    assertThatThrownBy(() -> Config.of(Map.of("DATABASE_URL", "mysql://x/y")))
        .hasMessageContaining("DATABASE_URL");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_POLL_INTERVAL", "soon")))
        .hasMessageContaining("LIVING_MAP_POLL_INTERVAL");
    assertThatThrownBy(() -> Config.load(Map.of(), new String[] {"--bogus", "1"}))
        .hasMessageContaining("--bogus");
  }

  @Test
  void libpqDatabaseUrlBecomesJdbc() {
    Config c = Config.of(Map.of("DATABASE_URL", "postgresql://postgres:s%40cret@db:5433/daarion"));
    DatabaseUrl url = c.databaseUrl.orElseThrow();
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5433/daarion");
    assertThat(url.user()).isEqualTo("postgres");
    assertThat(url.password()).isEqualTo("s@cret");
    assertThat(url.toString()).doesNotContain("s@cret");
    Config jdbc = Config.of(Map.of("DATABASE_URL", "jdbc:postgresql://h/db?user=u"));
    assertThat(jdbc.databaseUrl.orElseThrow().jdbcUrl()).isEqualTo("jdbc:postgresql://h/db?user=u");
  }

  @Test
  void simulatorIsOffWhenRealSourcesAreConfigured() {
    assertThat(Config.of(Map.of("NATS_URL", "nats://localhost:4222")).simulatorEnabled()).isFalse();
    assertThat(Config.of(Map.of("CITY_SERVICE_URL", "http://city:7001")).simulatorEnabled())
        .isFalse();
    assertThat(
            Config.of(Map.of("NATS_URL", "nats://x:1", "LIVING_MAP_SIMULATOR", "on"))
                .simulatorEnabled())
        .isTrue();
  }

  @Test
  void helpListsEverySetting() {
    String help = Config.help();
    for (Setting s : Settings.ALL) {
      assertThat(help).contains(s.env()).contains(s.flag());
    }
  }
}
