package org.daarion.livingmap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecurityConfigTest {
  static final String HASH = "a".repeat(64);

  @Test
  void defaultsAreOpenAndUnlimitedLikeTheOriginal() {
    Config c = Config.of(Map.of());
    assertThat(c.authEnabled()).isFalse();
    assertThat(c.rateLimit.enabled()).isFalse();
    assertThat(c.wsMaxPerClient).isEqualTo(Integer.MAX_VALUE);
    assertThat(c.corsOrigins).isEmpty();
    assertThat(c.jwtIssuer).isEqualTo("daarion-auth");
    assertThat(c.requestTimeout).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void authOnTurnsTheAutoLimitsOn() {
    Config c = Config.of(Map.of("LIVING_MAP_AUTH", "jwt", "LIVING_MAP_JWT_SECRET", "s"));
    assertThat(c.authJwt).isTrue();
    assertThat(c.authApiKey).isFalse();
    assertThat(c.rateLimit).isEqualTo(new Config.Rate(50, 200));
    assertThat(c.wsConnectRate).isEqualTo(new Config.Rate(1, 10));
    assertThat(c.wsMaxPerClient).isEqualTo(20);
    Config custom =
        c.with(Map.of("LIVING_MAP_RATE_LIMIT", "2.5:7", "LIVING_MAP_WS_MAX_PER_CLIENT", "3"));
    assertThat(custom.rateLimit).isEqualTo(new Config.Rate(2.5, 7));
    assertThat(custom.wsMaxPerClient).isEqualTo(3);
    assertThat(c.with(Map.of("LIVING_MAP_RATE_LIMIT", "off")).rateLimit.enabled()).isFalse();
  }

  @Test
  void apiKeysParseHashedWithRolesAndPlain() {
    Config c =
        Config.of(
            Map.of(
                "LIVING_MAP_AUTH",
                "apikey",
                "LIVING_MAP_API_KEYS",
                "grafana:"
                    + HASH
                    + ",ops:"
                    + HASH.toUpperCase()
                    + ":living-map:admin|x,old:plainkey"));
    assertThat(c.apiKeys).hasSize(3);
    assertThat(c.apiKeys.get(0).roles()).isEmpty();
    assertThat(c.apiKeys.get(1).roles()).containsExactly("living-map:admin", "x");
    assertThat(c.apiKeys.get(2).plain()).isTrue();
    assertThat(c.apiKeys.get(2).sha256()).isEqualTo(Config.sha256("plainkey"));
  }

  @Test
  void inconsistentOrBadSecuritySettingsNameTheSetting() {
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_AUTH", "jwt")))
        .hasMessageContaining("LIVING_MAP_JWT_SECRET");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_AUTH", "apikey")))
        .hasMessageContaining("LIVING_MAP_API_KEYS");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_AUTH", "magic")))
        .hasMessageContaining("LIVING_MAP_AUTH");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_AUTH", "off,jwt")))
        .hasMessageContaining("LIVING_MAP_AUTH");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_RATE_LIMIT", "fast")))
        .hasMessageContaining("LIVING_MAP_RATE_LIMIT");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_CORS_ORIGINS", "https://a.b/path")))
        .hasMessageContaining("LIVING_MAP_CORS_ORIGINS");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_LAYER_ROLES", "=x")))
        .hasMessageContaining("LIVING_MAP_LAYER_ROLES");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_API_KEYS", "a:k1,a:k2")))
        .hasMessageContaining("used twice");
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_JWKS_URL", "ftp://x")))
        .hasMessageContaining("LIVING_MAP_JWKS_URL");
  }

  @Test
  void layerRolesAndOriginsParse() {
    Config c =
        Config.of(
            Map.of(
                "LIVING_MAP_LAYER_ROLES", "nodes=living-map:ops|living-map:admin,agents=x",
                "LIVING_MAP_CORS_ORIGINS", "https://daarion.city, http://localhost:5173"));
    assertThat(c.layerRoles)
        .containsEntry("nodes", List.of("living-map:ops", "living-map:admin"))
        .containsEntry("agents", List.of("x"));
    assertThat(c.corsOrigins).contains(List.of("https://daarion.city", "http://localhost:5173"));
  }
}
