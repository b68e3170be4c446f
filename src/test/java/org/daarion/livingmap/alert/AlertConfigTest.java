package org.daarion.livingmap.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.ConfigException;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.StateOwner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertConfigTest {
  @Test
  void alertSettingsAreReadAndValidated() {
    Config c =
        Config.of(
            Map.of(
                "LIVING_MAP_ALERT_WEBHOOKS", "http://a.example/hook, https://b.example/x",
                "LIVING_MAP_ALERTMANAGER_URL", "http://am:9093",
                "LIVING_MAP_ALERT_NATS_SUBJECT", "living_map.alerts",
                "LIVING_MAP_ALERT_RULES", "/etc/living-map/rules.yaml"));
    assertThat(c.alertWebhooks)
        .containsExactly(URI.create("http://a.example/hook"), URI.create("https://b.example/x"));
    assertThat(c.alertmanagerUrl).contains(URI.create("http://am:9093"));
    assertThat(c.alertNatsSubject).contains("living_map.alerts");
    assertThat(c.alertRules).contains(Path.of("/etc/living-map/rules.yaml"));
    Config none = Config.of(Map.of());
    assertThat(none.alertWebhooks).isEmpty();
    assertThat(none.alertRules).isEmpty();
    assertThatThrownBy(() -> Config.of(Map.of("LIVING_MAP_ALERT_WEBHOOKS", "ftp://x/y")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LIVING_MAP_ALERT_WEBHOOKS");
  }

  @Test
  void theServiceRefusesToStartWithABadRuleFile(@TempDir Path dir) throws Exception {
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(rules, "- name: x\n  entity_type: node\n  field: metrics.cpu\n  op: '>'\n");
    Config c = Config.of(Map.of("LIVING_MAP_ALERT_RULES", rules.toString()));
    Vertx vertx = Vertx.vertx();
    try (StateOwner owner = new StateOwner(new LiveState("e", 0), 16, Clock.systemUTC())) {
      assertThatThrownBy(
              () -> AlertService.create(c, vertx, owner, null, null, "http://x", Clock.systemUTC()))
          .isInstanceOf(AlertRulesException.class)
          .hasMessageContaining(rules + " line 1: rule 'x': value is required");
      AlertService defaults =
          AlertService.create(
              Config.of(Map.of()), vertx, owner, null, null, "http://x", Clock.systemUTC());
      assertThat(defaults.rules()).hasSizeGreaterThan(5);
      assertThat(defaults.notifier()).isSameAs(AlertNotifier.NONE);
    } finally {
      vertx.close().await();
    }
  }
}
