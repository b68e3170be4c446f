package org.daarion.livingmap.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.daarion.livingmap.source.bus.BusPublisher;
import org.junit.jupiter.api.Test;

class SimulatorEventSourceTest {
  static final Clock FIXED = Clock.fixed(Instant.parse("2025-11-28T10:32:00Z"), ZoneOffset.UTC);

  /** Subjects of CONTRACT section 5. */
  static final List<Pattern> CONTRACT_SUBJECTS =
      List.of(
          Pattern.compile(
              "microdao\\.event\\.(created|updated|deleted|member_added|member_removed"
                  + "|member_role_updated|treasury_updated|settings_updated|setting_deleted)"),
          Pattern.compile(
              "dao\\.event\\.(created|updated|deleted|member_added|member_removed|treasury_updated"
                  + "|proposal_created|proposal_activated|proposal_closed|vote_cast)"),
          Pattern.compile("messaging\\.message\\.created"),
          Pattern.compile("usage\\.llm"),
          Pattern.compile("usage\\.agent"),
          Pattern.compile("node\\.metrics\\.[A-Za-z0-9_-]+"),
          Pattern.compile("agent\\.event\\.[a-z_]+"),
          Pattern.compile("city\\.event\\.[a-z_]+"));

  /** Keys CONTRACT section 5 lists per subject family (beyond the fixtures' keys). */
  static final Map<String, Set<String>> CONTRACT_KEYS =
      Map.of(
          "microdao.event",
          Set.of(
              "microdao_id",
              "slug",
              "name",
              "actor_id",
              "changes",
              "member_id",
              "user_id",
              "role",
              "token_symbol",
              "new_balance",
              "ts"),
          "dao.event",
          Set.of(
              "dao_id",
              "slug",
              "proposal_id",
              "title",
              "status",
              "final_status",
              "is_passed",
              "vote_value",
              "weight",
              "token_symbol",
              "new_balance",
              "actor_id",
              "ts"));

  static SimulatedNetwork network(long seed) {
    return SimulatedNetwork.generate(seed, 12, 5, 60, 200, 24, FIXED);
  }

  static List<RecordingBus.Message> run(long seed, int ticks) {
    RecordingBus bus = new RecordingBus();
    SimulatorEventSource source = new SimulatorEventSource(network(seed), bus, seed, "test");
    assertThat(source.tick(ticks)).isEqualTo(ticks);
    return bus.messages();
  }

  static String text(RecordingBus.Message m) {
    return m.subject() + " " + new String(m.data(), StandardCharsets.UTF_8);
  }

  @Test
  void sameSeedGivesSameEventsAndAnotherSeedDiffers() {
    List<String> a = run(42, 1000).stream().map(SimulatorEventSourceTest::text).toList();
    List<String> b = run(42, 1000).stream().map(SimulatorEventSourceTest::text).toList();
    List<String> c = run(43, 1000).stream().map(SimulatorEventSourceTest::text).toList();
    assertThat(a).hasSize(1000).isEqualTo(b);
    assertThat(c).hasSize(1000).isNotEqualTo(a);
  }

  @Test
  void messageIdsAreUnique() {
    List<RecordingBus.Message> ms = run(7, 2000);
    assertThat(ms.stream().map(RecordingBus.Message::msgId).distinct().count()).isEqualTo(2000);
    assertThat(ms.get(0).msgId()).startsWith("test-");
  }

  @Test
  void everySubjectIsInTheContractAndEveryPayloadHasTheFixtureShape() {
    Map<String, JsonNode> exact = new HashMap<>();
    for (String f :
        List.of(
            "agent.event.status",
            "city.event.alert",
            "dao.event.created",
            "dao.event.proposal_closed",
            "dao.event.proposal_created",
            "dao.event.vote_cast",
            "messaging.message.created",
            "microdao.event.created",
            "microdao.event.member_added",
            "microdao.event.treasury_updated",
            "microdao.event.updated",
            "usage.agent",
            "usage.llm")) {
      exact.put(f, Shapes.fixture("events/" + f + ".json"));
    }
    exact.put("node.metrics", Shapes.fixture("events/node.metrics.node-03.json"));
    // Kinds of each key over a family's fixtures, for subjects that have no fixture of their own.
    Map<String, Map<String, String>> familyKinds = new HashMap<>();
    exact.forEach(
        (subject, payload) -> {
          Map<String, String> kinds =
              familyKinds.computeIfAbsent(family(subject), k -> new HashMap<>());
          payload.fields().forEachRemaining(e -> kinds.put(e.getKey(), Shapes.kind(e.getValue())));
        });

    Set<String> seen = new TreeSet<>();
    for (RecordingBus.Message m : run(42, 20_000)) {
      String subject = m.subject();
      assertThat(CONTRACT_SUBJECTS).anyMatch(p -> p.matcher(subject).matches());
      JsonNode payload = Shapes.parse(m.data());
      assertThat(payload.isObject()).isTrue();
      String key = subject.startsWith("node.metrics.") ? "node.metrics" : subject;
      seen.add(key);
      JsonNode fixture = exact.get(key);
      if (fixture != null) {
        Shapes.assertSameShape(subject, fixture, payload);
      } else {
        Map<String, String> kinds = familyKinds.get(family(subject));
        Set<String> allowed = new HashSet<>(kinds.keySet());
        allowed.addAll(CONTRACT_KEYS.getOrDefault(family(subject), Set.of()));
        assertThat(allowed).as(subject).containsAll(Shapes.fieldNames(payload));
        payload
            .fields()
            .forEachRemaining(
                e -> {
                  String k = kinds.get(e.getKey());
                  if (k != null && !e.getValue().isNull() && !k.equals("null")) {
                    assertThat(Shapes.kind(e.getValue()))
                        .as(subject + "." + e.getKey())
                        .isEqualTo(k);
                  }
                });
      }
    }
    assertThat(seen)
        .contains(
            "node.metrics",
            "usage.llm",
            "usage.agent",
            "messaging.message.created",
            "agent.event.status",
            "city.event.alert",
            "dao.event.proposal_created",
            "dao.event.proposal_activated",
            "dao.event.vote_cast",
            "dao.event.proposal_closed",
            "dao.event.treasury_updated",
            "microdao.event.member_added",
            "microdao.event.member_removed",
            "microdao.event.treasury_updated",
            "microdao.event.updated");
  }

  private static String family(String subject) {
    String[] t = subject.split("\\.");
    return t.length >= 2 ? t[0] + "." + t[1] : subject;
  }

  @Test
  void metricsAndUsageAreTheMostFrequent() {
    Map<String, Integer> counts = new HashMap<>();
    for (RecordingBus.Message m : run(42, 5000)) {
      counts.merge(family(m.subject()), 1, Integer::sum);
    }
    int metrics = counts.get("node.metrics");
    int usage = counts.get("usage.llm") + counts.get("usage.agent");
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      if (!e.getKey().startsWith("usage") && !e.getKey().equals("node.metrics")) {
        assertThat(e.getValue()).as(e.getKey()).isLessThan(metrics).isLessThan(usage);
      }
    }
  }

  @Test
  void proposalsLiveThroughTheirWholeLifecycle() {
    Map<String, List<String>> lifecycle = new LinkedHashMap<>();
    for (RecordingBus.Message m : run(42, 5000)) {
      if (m.subject().startsWith("dao.event.") && !m.subject().endsWith("treasury_updated")) {
        JsonNode p = Shapes.parse(m.data());
        lifecycle
            .computeIfAbsent(p.get("proposal_id").asText(), k -> new ArrayList<>())
            .add(m.subject().substring("dao.event.".length()));
      }
    }
    Pattern full =
        Pattern.compile("proposal_created proposal_activated( vote_cast)+ proposal_closed");
    assertThat(lifecycle.values())
        .anyMatch(steps -> full.matcher(String.join(" ", steps)).matches());
    // Nothing is voted on before it is active, nor after it is closed.
    for (List<String> steps : lifecycle.values()) {
      String s = String.join(" ", steps);
      assertThat(s).doesNotMatch(".*proposal_created vote_cast.*").doesNotMatch(".*closed .*");
    }
  }

  @Test
  void agentsChangeStatusAndNodeLoadsStayFractions() {
    SimulatedNetwork net = network(42);
    Map<String, String> status = new HashMap<>();
    for (String id : net.agentIds()) {
      status.put(id, net.agentStatus(id));
    }
    RecordingBus bus = new RecordingBus();
    new SimulatorEventSource(net, bus, 42, "t").tick(5000);
    int changes = 0;
    int metrics = 0;
    for (RecordingBus.Message m : bus.messages()) {
      JsonNode p = Shapes.parse(m.data());
      if (m.subject().equals("agent.event.status")) {
        String id = p.get("agent_id").asText();
        String next = p.get("status").asText();
        assertThat(next).isIn("online", "offline", "idle", "busy");
        if (!next.equals(status.put(id, next))) {
          changes++;
        }
      }
      if (m.subject().startsWith("node.metrics.")) {
        metrics++;
        assertThat(p.get("node_id").asText()).isEqualTo("node:" + m.subject().substring(13));
        for (String k : List.of("cpu", "gpu", "ram", "disk")) {
          assertThat(p.get(k).asDouble()).as(k).isBetween(0.0, 1.0);
        }
        assertThat(p.get("temperature").asDouble()).isBetween(15.0, 100.0);
      }
    }
    assertThat(changes).isGreaterThan(10);
    assertThat(metrics).isGreaterThan(1000);
  }

  @Test
  void usageEngineTotalsAgreeWithTheEventsEmitted() {
    SimulatedNetwork net = network(42);
    RecordingBus bus = new RecordingBus();
    new SimulatorEventSource(net, bus, 42, "t").tick(4000);
    Map<String, long[]> fromEvents = new HashMap<>(); // llm_calls, tokens, invocations, tools, msgs
    long llmCalls = 0;
    long messages = 0;
    for (RecordingBus.Message m : bus.messages()) {
      JsonNode p = Shapes.parse(m.data());
      switch (m.subject()) {
        case "usage.llm" -> {
          long[] c = fromEvents.computeIfAbsent(p.get("agent_id").asText(), k -> new long[5]);
          c[0]++;
          c[1] += p.get("total_tokens").asLong();
          llmCalls++;
        }
        case "usage.agent" -> {
          long[] c = fromEvents.computeIfAbsent(p.get("agent_id").asText(), k -> new long[5]);
          c[2]++;
          c[3] += p.get("tool_calls").asLong();
        }
        case "messaging.message.created" -> {
          messages++;
          if (p.get("sender_type").asText().equals("agent")) {
            fromEvents.computeIfAbsent(p.get("sender_id").asText(), k -> new long[5])[4]++;
          }
        }
        default -> {}
      }
    }
    UpstreamViews views = new UpstreamViews(net);
    JsonNode agents = net.locked(views::usageAgents).get("agents");
    assertThat(agents.size()).isEqualTo(fromEvents.size());
    for (JsonNode a : agents) {
      long[] c = fromEvents.get(a.get("agent_id").asText());
      assertThat(c).as(a.toString()).isNotNull();
      assertThat(
              new long[] {
                a.get("llm_calls").asLong(),
                a.get("total_tokens").asLong(),
                a.get("invocations").asLong(),
                a.get("tool_calls").asLong(),
                a.get("messages_sent").asLong()
              })
          .as(a.get("agent_id").asText())
          .isEqualTo(c);
    }
    JsonNode summary = net.locked(() -> views.usageSummary(24)).get("summary");
    assertThat(summary.get("llm_calls_total").asLong()).isEqualTo(llmCalls);
    assertThat(summary.get("messages_sent").asLong()).isEqualTo(messages);
    assertThat(summary.get("llm_tokens_total").asLong())
        .isEqualTo(fromEvents.values().stream().mapToLong(c -> c[1]).sum());
  }

  @Test
  void removedEntitiesStopEmitting() {
    SimulatedNetwork net = network(42);
    assertThat(net.removeNode("node:gpu-01")).isTrue();
    assertThat(net.removeAgent("agent:sofia")).isTrue();
    assertThat(net.removeAgent("agent:sofia")).isFalse();
    RecordingBus bus = new RecordingBus();
    new SimulatorEventSource(net, bus, 42, "t").tick(3000);
    for (RecordingBus.Message m : bus.messages()) {
      String s = new String(m.data(), StandardCharsets.UTF_8);
      assertThat(m.subject()).isNotEqualTo("node.metrics.gpu-01");
      assertThat(s).doesNotContain("\"agent:sofia\"");
    }
  }

  @Test
  void aPublishFailureIsCountedAndTheGeneratorGoesOn() {
    int[] calls = {0};
    BusPublisher flaky =
        (subject, data, msgId) -> {
          if (calls[0]++ % 2 == 0) {
            throw new IllegalStateException("bus down");
          }
        };
    SimulatorEventSource source = new SimulatorEventSource(network(1), flaky, 1, "t");
    assertThat(source.tick(10)).isEqualTo(5);
    assertThat(source.failed()).isEqualTo(5);
    assertThat(source.published()).isEqualTo(5);
  }

  @Test
  void publishesAtTheConfiguredRate() {
    RecordingBus bus = new RecordingBus(false);
    SimulatorEventSource source = new SimulatorEventSource(network(5), bus, 5, "rate");
    long start = System.nanoTime();
    source.start(200);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> bus.count() >= 600);
      double seconds = (System.nanoTime() - start) / 1e9;
      // 600 events at 200/s take 3 s; loose bounds for a shared machine.
      assertThat(seconds).isBetween(2.5, 6.0);
    } finally {
      source.stop();
    }
    assertThat(source.isRunning()).isFalse();
    long after = bus.count();
    assertThat(source.tick(3)).isEqualTo(3);
    assertThat(bus.count()).isEqualTo(after + 3);
  }

  @Test
  void keepsUpWithTenThousandEventsPerSecond() {
    RecordingBus bus = new RecordingBus(false);
    SimulatorEventSource source = new SimulatorEventSource(network(5), bus, 5, "fast");
    long start = System.nanoTime();
    source.start(10_000);
    try {
      await().atMost(Duration.ofSeconds(15)).until(() -> bus.count() >= 20_000);
      double seconds = (System.nanoTime() - start) / 1e9;
      assertThat(seconds).isBetween(1.8, 8.0);
    } finally {
      source.stop();
    }
    assertThat(source.failed()).isZero();
  }

  @Test
  void rateZeroPublishesNothingAndBadRatesAreRejected() {
    RecordingBus bus = new RecordingBus();
    SimulatorEventSource source = new SimulatorEventSource(network(5), bus, 5, "zero");
    source.start(0);
    assertThat(source.isRunning()).isFalse();
    assertThat(bus.count()).isZero();
    assertThatThrownBy(() -> source.start(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> source.tick(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
