package org.daarion.livingmap.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertRulesTest {
  @Test
  void theBuiltInRulesLoadAndCoverEveryKind() {
    List<AlertRule> rules = AlertRules.defaults();
    assertThat(rules)
        .extracting(AlertRule::name)
        .contains("node_cpu_high", "agent_offline", "llm_errors", "source_unhealthy");
    AlertRule cpu =
        rules.stream().filter(r -> r.name().equals("node_cpu_high")).findFirst().orElseThrow();
    assertThat(cpu.kind()).isEqualTo(AlertRule.Kind.ENTITY);
    assertThat(cpu.forDuration()).isEqualTo(Duration.ofSeconds(60));
    assertThat((double) cpu.clearValue()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
    AlertRule llm =
        rules.stream().filter(r -> r.name().equals("llm_errors")).findFirst().orElseThrow();
    assertThat(llm.window()).isEqualTo(Duration.ofMinutes(1));
    assertThat(llm.threshold()).isEqualTo(5.0);
    assertThat(llm.matchesSubject("usage.llm")).isTrue();
    assertThat(llm.matchesSubject("usage.llm.openai")).isTrue();
    assertThat(llm.matchesSubject("usage.agent")).isFalse();
  }

  @Test
  void aRuleFileIsReadFromItsPath(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("rules.yaml");
    Files.writeString(
        file,
        """
        - name: hot
          entity_type: node
          field: metrics.temperature
          op: ">="
          value: 80
          severity: critical
          labels: {team: infra, page: yes}
        """);
    List<AlertRule> rules = AlertRules.load(file);
    assertThat(rules)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.severity()).isEqualTo(Severity.CRITICAL);
              assertThat(r.labels()).containsEntry("team", "infra").containsEntry("page", "true");
              assertThat(r.line()).isEqualTo(1);
            });
  }

  @Test
  void jsonRulesWorkAndReportLinesToo() {
    String json =
        """
        {"rules": [
          {"name": "a", "entity_type": "agent", "field": "status", "op": "==", "value": "offline", "for": "5m"},
          {"name": "b", "entity_type": "agent", "field": "status", "op": "~", "value": "x"}
        ]}
        """;
    assertThatThrownBy(() -> AlertRules.parse(json, "rules.json"))
        .isInstanceOf(AlertRulesException.class)
        .hasMessageContaining("rules.json line 3: rule 'b': op must be one of");
    List<AlertRule> ok = AlertRules.parse(json.replace("\"~\"", "\"!=\""), "rules.json");
    assertThat(ok).hasSize(2);
    assertThat(ok.get(0).forDuration()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void badRulesAreRefusedWithTheirLineAndReason() {
    String yaml =
        """
        rules:
          - name: cpu
            entity_type: node
            field: metrics.cpu
            op: ">"
            value: high
          - name: agent
            entity_type: robot
            field: status
            op: "=="
            value: offline
          - name: flap
            entity_type: node
            field: metrics.cpu
            op: ">"
            value: 0.9
            clear_value: 0.95
          - name: rate
            rate:
              event_type: usage..llm
              threshold: 5
          - name: typo
            entity_type: node
            field: metrics.cpu
            op: ">"
            value: 0.9
            sevrity: critical
          - name: when
            entity_type: node
            field: metrics.cpu
            op: ">"
            value: 0.9
            for: soon
          - name: msg
            entity_type: node
            field: metrics.cpu
            op: ">"
            value: 0.9
            message: "{{entity.name}} at {{valu}}"
          - name: cpu
            source: "*"
            op: "!="
            value: ok
        """;
    assertThatThrownBy(() -> AlertRules.parse(yaml, "rules.yaml"))
        .isInstanceOfSatisfying(
            AlertRulesException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "rules.yaml line 6: rule 'cpu': value must be a number for > (got 'high')",
                        "rules.yaml line 8: rule 'agent': entity_type must be one of microdao, dao, node, agent, channel (got 'robot')",
                        "rules.yaml line 17: rule 'flap': clear_value must be on the clear side of value (at most 0.9)",
                        "rules.yaml line 20: rule 'rate': 'usage..llm' is not a subject pattern (tokens separated by dots, * or a final >)",
                        "rules.yaml line 19: rule 'rate': rate.window is required (or a threshold like 5/min)",
                        "rules.yaml line 27: rule 'typo': unknown key 'sevrity' (known: clear_value, description, entity_type, field, for, hysteresis, keep_firing_for, labels, message, name, op, rate, severity, source, value, where)",
                        "rules.yaml line 33: rule 'when': for must be a duration such as 30s, 5m, 2h (got 'soon')",
                        "rules.yaml line 39: rule 'msg': message: unknown placeholder {{valu}} (known: entity_id, field, key, rule, severity, source, threshold, value, window, entity.<field>, labels.<name>)",
                        "rules.yaml line 40: rule 'cpu': duplicate rule name"))
        .hasMessageStartingWith("invalid alert rules (9 problems):");
  }

  @Test
  void brokenYamlIsRefusedWithTheLineOfTheProblem() {
    String yaml = "rules:\n  - name: a\n    entity_type: node\n    field: [unclosed\n";
    assertThatThrownBy(() -> AlertRules.parse(yaml, "r.yaml"))
        .isInstanceOf(AlertRulesException.class)
        .hasMessageContaining("r.yaml line 5: not valid YAML/JSON");
  }

  @Test
  void aRuleNeedsExactlyOneKind() {
    assertThatThrownBy(
            () ->
                AlertRules.parse(
                    "- name: x\n  entity_type: node\n  source: '*'\n  op: '=='\n  value: 1\n",
                    "r.yaml"))
        .hasMessageContaining(
            "r.yaml line 1: rule 'x': needs exactly one of entity_type, rate, source (got 2)");
  }

  @Test
  void subjectPatternsFollowNatsWildcards() {
    assertThat(AlertRules.eventType("node.metrics.*").matches("node.metrics.n1")).isTrue();
    assertThat(AlertRules.eventType("node.metrics.*").matches("node.metrics")).isFalse();
    assertThat(AlertRules.eventType("node.metrics.*").matches("node.metrics.n1.x")).isFalse();
    assertThat(AlertRules.eventType("node.>").matches("node.metrics.n1")).isTrue();
    assertThat(AlertRules.eventType("node.>").matches("node")).isFalse();
    assertThat(AlertRules.eventType("usage.llm").matches("usage.llmx")).isFalse();
    assertThat(AlertRules.eventType("a.>.b")).isNull();
    assertThat(AlertRules.eventType("a.b*")).isNull();
  }
}
