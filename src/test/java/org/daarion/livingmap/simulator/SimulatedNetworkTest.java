package org.daarion.livingmap.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SimulatedNetworkTest {
  static final Clock FIXED = Clock.fixed(Instant.parse("2025-11-28T10:32:00Z"), ZoneOffset.UTC);

  static SimulatedNetwork net(long seed) {
    return SimulatedNetwork.generate(seed, 12, 5, 60, 200, 24, FIXED);
  }

  static String render(SimulatedNetwork n, String what) {
    UpstreamViews v = new UpstreamViews(n);
    return n.locked(
            () ->
                switch (what) {
                  case "agents" -> v.agents(false, null, null);
                  case "nodes" -> v.spaceNodes();
                  case "planets" -> v.planets();
                  case "microdaos" -> v.microdaos();
                  case "snapshot" -> v.citySnapshot();
                  default -> v.spaceEvents();
                })
        .toString();
  }

  @Test
  void sameSeedSameNetworkDifferentSeedDifferentNetwork() {
    for (String what : List.of("agents", "nodes", "planets", "microdaos", "snapshot", "events")) {
      assertThat(render(net(42), what)).as(what).isEqualTo(render(net(42), what));
    }
    assertThat(render(net(43), "agents")).isNotEqualTo(render(net(42), "agents"));
    assertThat(render(net(43), "nodes")).isNotEqualTo(render(net(42), "nodes"));
  }

  @Test
  void hasTheConfiguredSizesAndDaarionFlavour() {
    SimulatedNetwork n = net(42);
    assertThat(n.agentIds()).hasSize(200).contains("agent:sofia", "agent:alex", "agent:guardian");
    assertThat(new HashSet<>(n.agentIds())).hasSize(200);
    assertThat(n.microdaoIds()).hasSize(12).contains("microdao:daarion", "microdao:energy-union");
    assertThat(n.daoSlugs()).hasSize(5).contains("daarion-governance", "energy-union-council");
    List<String> nodes = n.nodeIds();
    assertThat(nodes).hasSize(60).allMatch(id -> id.matches("node:(gpu|cpu)-\\d{2,}"));
    assertThat(nodes).anyMatch(id -> id.startsWith("node:gpu-"));
    assertThat(nodes).anyMatch(id -> id.startsWith("node:cpu-"));
  }

  @Test
  void idsAgreeAcrossServices() {
    SimulatedNetwork n = net(42);
    UpstreamViews v = new UpstreamViews(n);
    Set<String> microdaoUuids = new HashSet<>(n.locked(v::microdaos).findValuesAsText("id"));
    Set<String> microdaoExternal =
        new HashSet<>(n.locked(v::microdaos).findValuesAsText("external_id"));
    for (JsonNode a : n.locked(() -> v.agents(true, null, null))) {
      assertThat(microdaoUuids).contains(a.get("microdao_id").asText());
    }
    for (JsonNode d : n.locked(v::daos)) {
      assertThat(microdaoUuids).contains(d.get("microdao_id").asText());
    }
    Set<String> nodeIds = new HashSet<>(n.nodeIds());
    for (JsonNode node : n.locked(v::spaceNodes)) {
      assertThat(microdaoExternal).contains(node.get("microdao").asText());
    }
    for (JsonNode planet : n.locked(v::planets)) {
      assertThat(planet.get("dao_id").asText()).startsWith("dao:");
      for (JsonNode s : planet.get("satellites")) {
        assertThat(nodeIds).contains(s.get("node_id").asText());
      }
    }
  }

  @Test
  void smallAndLargeSizesWork() {
    SimulatedNetwork tiny = SimulatedNetwork.generate(1, 1, 1, 1, 0, 0, FIXED);
    assertThat(tiny.agentIds()).isEmpty();
    RecordingBus bus = new RecordingBus();
    assertThat(new SimulatorEventSource(tiny, bus, 1, "t").tick(500)).isEqualTo(500);
    SimulatedNetwork big = SimulatedNetwork.generate(1, 40, 30, 500, 2000, 100, FIXED);
    assertThat(new HashSet<>(big.agentIds())).hasSize(2000);
    assertThat(new HashSet<>(big.nodeIds())).hasSize(500);
    assertThat(new HashSet<>(big.microdaoIds())).hasSize(40);
    assertThat(new HashSet<>(big.daoSlugs())).hasSize(30);
    assertThatThrownBy(() -> SimulatedNetwork.generate(1, 0, 1, 1, 1, 1, FIXED))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void entitiesCanBeAddedAndRemovedAtRunTime() {
    SimulatedNetwork n = net(42);
    String sofiaUuid = "a9000007-0000-4000-8000-000000000001";
    assertThat(n.agentStatus("agent:sofia")).isNotNull();
    assertThat(n.removeAgent(sofiaUuid)).isTrue();
    assertThat(n.agentIds()).doesNotContain("agent:sofia");
    assertThat(n.addAgent("zed", "analyst", "microdao:daarion")).isEqualTo("agent:zed");
    assertThatThrownBy(() -> n.addAgent("zed", "analyst", "daarion"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(n.setAgentActive("agent:zed", false)).isTrue();
    assertThat(render(n, "agents")).doesNotContain("agent:zed");
    assertThat(n.addNode("gpu-99", true, "daarion", "daarion-governance")).isEqualTo("node:gpu-99");
    assertThat(render(n, "planets")).contains("node:gpu-99");
    assertThat(n.removeNode("gpu-99")).isTrue();
    assertThat(n.removeDao("dao:daarion-governance")).isTrue();
    assertThat(n.daoSlugs()).doesNotContain("daarion-governance");
    assertThat(n.removeMicrodao("energy-union")).isTrue();
    assertThat(n.microdaoIds()).doesNotContain("microdao:energy-union");
    assertThat(n.setNodeOnline(n.nodeIds().get(0), false)).isTrue();
    assertThat(render(n, "nodes")).contains("\"status\":\"offline\"");
  }
}
