package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.metrics.Metrics;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** docs/OPERATIONS.md, the Grafana dashboard and the deploy files agree with the code. */
class SecurityOperationsDocTest {
  static String read(String path) throws IOException {
    return Files.readString(Path.of(path));
  }

  static List<String> metricNames() throws IllegalAccessException {
    List<String> names = new ArrayList<>();
    for (Field f : Metrics.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        names.add((String) f.get(null));
      }
    }
    return names;
  }

  @Test
  void theConfigurationReferenceIsTheGeneratedOne() throws IOException {
    String doc = read("docs/OPERATIONS.md");
    int begin = doc.indexOf("<!-- settings:begin -->\n");
    int end = doc.indexOf("<!-- settings:end -->");
    assertThat(begin).isPositive();
    String section = doc.substring(begin + "<!-- settings:begin -->\n".length(), end);
    assertThat(section)
        .as("regenerate the table in docs/OPERATIONS.md from Config.markdownReference()")
        .isEqualTo(Config.markdownReference());
  }

  @Test
  void everyMetricIsDocumentedAndOnTheDashboard() throws Exception {
    String doc = read("docs/OPERATIONS.md");
    JsonObject dashboard = new JsonObject(read("deploy/grafana/living-map.json"));
    String exprs = dashboard.encode();
    for (String name : metricNames()) {
      assertThat(name).startsWith("living_map_");
      assertThat(doc).as("OPERATIONS.md mentions " + name).contains(name);
      assertThat(exprs).as("dashboard uses " + name).contains(name);
    }
    assertThat(dashboard.getJsonArray("panels")).hasSizeGreaterThan(20);
    assertThat(exprs)
        .contains("jvm_memory_used_bytes", "process_cpu_usage", "process_files_open_files");
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeWiresTheServicesByTheContractVariables() throws IOException {
    Map<String, Object> compose = new Yaml().load(read("docker-compose.yml"));
    Map<String, Object> services = (Map<String, Object>) compose.get("services");
    assertThat(services).containsKeys("postgres", "nats", "living-map", "simulator");
    List<String> natsCommand =
        (List<String>) ((Map<String, Object>) services.get("nats")).get("command");
    assertThat(natsCommand).contains("-js");
    Map<String, Object> lm = (Map<String, Object>) services.get("living-map");
    Map<String, Object> env = (Map<String, Object>) lm.get("environment");
    assertThat(env)
        .containsKeys(
            "PORT",
            "DATABASE_URL",
            "NATS_URL",
            "CITY_SERVICE_URL",
            "SPACE_SERVICE_URL",
            "USAGE_ENGINE_URL",
            "AGENTS_SERVICE_URL",
            "MICRODAO_SERVICE_URL",
            "DAO_SERVICE_URL",
            "LIVING_MAP_AUTH");
    assertThat((String) env.get("DATABASE_URL"))
        .startsWith("postgresql://")
        .contains("@postgres:5432/");
    assertThat((String) env.get("NATS_URL")).isEqualTo("nats://nats:4222");
    assertThat((String) env.get("CITY_SERVICE_URL")).isEqualTo("http://simulator:7018");
    assertThat((List<String>) lm.get("ports")).contains("7017:7017");
    assertThat(lm.get("build")).isEqualTo(".");
    Map<String, Object> sim = (Map<String, Object>) services.get("simulator");
    assertThat((List<String>) sim.get("command")).containsExactly("simulate");
    assertThat(((Map<String, Object>) sim.get("environment")).get("NATS_URL"))
        .isEqualTo("nats://nats:4222");
    // every LIVING_MAP_ variable used exists
    for (Object k : env.keySet()) {
      String key = (String) k;
      if (key.startsWith("LIVING_MAP_")) {
        assertThat(
                org.daarion.livingmap.config.Settings.ALL.stream()
                    .anyMatch(s -> s.env().equals(key)))
            .as(key)
            .isTrue();
      }
    }
  }

  @Test
  void dockerfileIsMultiStageNonRootWithAHealthcheck() throws IOException {
    String df = read("Dockerfile");
    assertThat(df.lines().filter(l -> l.startsWith("FROM ")).count()).isEqualTo(2);
    assertThat(df).contains("AS build", "nodejs", "mvn -B", "-jre", "USER 10001", "EXPOSE 7017");
    assertThat(df).contains("HEALTHCHECK").contains("/living-map/health/live");
  }
}
