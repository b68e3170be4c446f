package org.daarion.livingmap.source.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.ConfigException;
import org.daarion.livingmap.config.UpstreamSource;
import org.junit.jupiter.api.Test;

/** {@code LIVING_MAP_UPSTREAM_POLICY}: per-source timeout, retries and circuit breaker. */
class SourcePolicyConfigTest {
  @Test
  void unsetKeepsTheDefaultsWithTheGlobalTimeout() {
    Config c = Config.of(Map.of("LIVING_MAP_UPSTREAM_TIMEOUT", "2s"));
    for (UpstreamSource s : UpstreamSource.values()) {
      assertThat(SourcePolicy.of(c, s)).isEqualTo(SourcePolicy.defaults(Duration.ofSeconds(2)));
    }
  }

  @Test
  void generalEntriesApplyToEverySourceAndServiceEntriesOverrideThem() {
    Config c =
        Config.of(
            Map.of(
                "LIVING_MAP_UPSTREAM_POLICY",
                "attempts=2, breaker_open_for=5s, dao-service.timeout=10s,"
                    + " dao-service.attempts=4, usage-engine.breaker_window=10,"
                    + " usage-engine.breaker_min_calls=6, usage-engine.breaker_failure_rate=80,"
                    + " backoff=100ms, max_backoff=1s"));
    SourcePolicy dao = SourcePolicy.of(c, UpstreamSource.DAO);
    assertThat(dao.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(dao.maxAttempts()).isEqualTo(4);
    assertThat(dao.breakerOpenFor()).isEqualTo(Duration.ofSeconds(5));
    SourcePolicy city = SourcePolicy.of(c, UpstreamSource.CITY);
    assertThat(city.timeout()).isEqualTo(c.upstreamTimeout);
    assertThat(city.maxAttempts()).isEqualTo(2);
    assertThat(city.backoff()).isEqualTo(Duration.ofMillis(100));
    assertThat(city.maxBackoff()).isEqualTo(Duration.ofSeconds(1));
    assertThat(city.breakerWindow()).isEqualTo(SourcePolicy.DEFAULT_BREAKER_WINDOW);
    SourcePolicy usage = SourcePolicy.of(c, UpstreamSource.USAGE);
    assertThat(usage.breakerWindow()).isEqualTo(10);
    assertThat(usage.breakerMinCalls()).isEqualTo(6);
    assertThat(usage.breakerFailureRate()).isEqualTo(80f);
  }

  @Test
  void aSmallerWindowAloneKeepsAValidBreaker() {
    Config c = Config.of(Map.of("LIVING_MAP_UPSTREAM_POLICY", "breaker_window=2"));
    SourcePolicy p = SourcePolicy.of(c, UpstreamSource.SPACE);
    assertThat(p.breakerWindow()).isEqualTo(2);
    assertThat(p.breakerMinCalls()).isEqualTo(2);
  }

  @Test
  void badValuesNameTheSetting() {
    for (String bad :
        new String[] {
          "attempts=0",
          "timeout=soon",
          "timeout=0ms",
          "breaker_failure_rate=150",
          "nosuch=1",
          "ghost-service.timeout=1s",
          "attempts",
          "breaker_window=2,breaker_min_calls=3"
        }) {
      assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_UPSTREAM_POLICY", bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("LIVING_MAP_UPSTREAM_POLICY");
    }
  }
}
