package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RelationsTest {
  static final String DAARION_UUID = "3d000008-0000-4000-8000-000000000001";

  static Entity entity(String type, String id, JsonObject fields, JsonObject extra) {
    JsonObject data = EntityTypes.blank(type, id).mergeIn(fields, true);
    return new Entity(id, type, data, extra, Set.of(), 1, Instant.EPOCH);
  }

  static Entity entity(String type, String id, JsonObject fields) {
    return entity(type, id, fields, new JsonObject());
  }

  static StateCut cut() {
    List<Entity> all = new ArrayList<>();
    all.add(entity("microdao", "microdao:daarion", new JsonObject().put("name", "DAARION")));
    all.add(entity("microdao", "microdao:energy", new JsonObject()));
    all.add(
        entity(
            "dao",
            "dao:gov",
            new JsonObject()
                .put("microdao_id", DAARION_UUID)
                .put("orbits", new JsonArray().add("node:1").add("node:2").add("node:gone"))));
    all.add(
        entity(
            "dao", "dao:energy-council", new JsonObject().put("microdao_id", "microdao:energy")));
    all.add(entity("node", "node:1", new JsonObject().put("microdao_id", "microdao:daarion")));
    all.add(
        entity(
            "node",
            "node:2",
            new JsonObject().put("microdao_id", "daarion-city").put("status", "warning")));
    all.add(entity("node", "node:3", new JsonObject()));
    all.add(
        entity(
            "agent",
            "agent:sofia",
            new JsonObject().put("microdao_id", DAARION_UUID).put("name", "Sofia"),
            new JsonObject().put("node_id", "node:1")));
    all.add(entity("agent", "agent:alex", new JsonObject().put("microdao_id", "microdao:daarion")));
    all.add(entity("agent", "agent:ghost", new JsonObject().put("microdao_id", "nobody-knows")));
    all.add(
        entity(
            "channel", "channel:general", new JsonObject().put("microdao_id", "microdao:energy")));
    return new StateCut(
        "e1",
        10,
        10,
        Instant.EPOCH,
        all,
        Map.of(
            "microdao:" + DAARION_UUID,
            "microdao:daarion",
            "microdao:daarion-city",
            "microdao:daarion"),
        0);
  }

  @Test
  void edgesComeFromFieldsWithRawReferencesResolved() {
    List<String> edges = Relations.of(cut()).edges().stream().map(Relations.Edge::id).toList();
    assertThat(edges)
        .containsExactlyInAnyOrder(
            "agent:sofia|member_of|microdao:daarion",
            "agent:sofia|runs_on|node:1",
            "agent:alex|member_of|microdao:daarion",
            "microdao:daarion|owns|node:1",
            "microdao:daarion|owns|node:2",
            "node:1|orbits|dao:gov",
            "node:2|orbits|dao:gov",
            "dao:gov|governs|microdao:daarion",
            "dao:energy-council|governs|microdao:energy",
            "channel:general|member_of|microdao:energy");
  }

  @Test
  void relationsOfAnEntityListBothDirections() {
    JsonArray rels = Relations.relationsOf(cut(), "microdao:daarion");
    assertThat(rels).hasSize(5);
    assertThat(
            rels.stream()
                .map(
                    o ->
                        ((JsonObject) o).getString("relation")
                            + ">"
                            + ((JsonObject) o).getString("target")))
        .containsExactlyInAnyOrder(
            "has_member>agent:sofia",
            "has_member>agent:alex",
            "owns>node:1",
            "owns>node:2",
            "governed_by>dao:gov");
    JsonObject fromAgent = Relations.relationsOf(cut(), "agent:sofia").getJsonObject(0);
    assertThat(fromAgent.getString("type")).isEqualTo("member_of");
    assertThat(fromAgent.getString("direction")).isEqualTo("out");
    assertThat(fromAgent.getString("target_type")).isEqualTo("microdao");
    assertThat(Relations.relationsOf(cut(), DAARION_UUID)).as("by alias").hasSize(5);
    assertThat(Relations.relationsOf(cut(), "agent:ghost")).isEmpty();
    assertThat(Relations.relationsOf(cut(), "agent:nobody")).isEmpty();
  }

  @Test
  void graphAroundARootIsDepthLimited() {
    JsonObject d0 = Relations.graph(cut(), "agent:sofia", 0, null, null);
    assertThat(ids(d0.getJsonArray("nodes"))).containsExactly("agent:sofia");
    assertThat(d0.getJsonArray("edges")).isEmpty();

    JsonObject d1 = Relations.graph(cut(), "agent:sofia", 1, null, null);
    assertThat(ids(d1.getJsonArray("nodes")))
        .containsExactly("agent:sofia", "microdao:daarion", "node:1");
    assertThat(d1.getJsonArray("edges")).hasSize(3);

    JsonObject d2 = Relations.graph(cut(), "agent:sofia", 2, null, null);
    assertThat(ids(d2.getJsonArray("nodes")))
        .containsExactly(
            "agent:alex", "agent:sofia", "dao:gov", "microdao:daarion", "node:1", "node:2");
    assertThat(d2.getJsonArray("edges")).hasSize(8);
    JsonObject node2 =
        d2.getJsonArray("nodes").stream()
            .map(o -> (JsonObject) o)
            .filter(o -> o.getString("id").equals("node:2"))
            .findFirst()
            .orElseThrow();
    assertThat(node2)
        .isEqualTo(
            new JsonObject()
                .put("id", "node:2")
                .put("type", "node")
                .put("layer", "nodes")
                .put("label", "2")
                .put("status", "warning"));
    assertThat(Relations.graph(cut(), "agent:sofia", null, null, null)).isEqualTo(d2);
  }

  @Test
  void graphOfEverythingAndFilters() {
    JsonObject all = Relations.graph(cut(), null, null, null, null);
    assertThat(all.getJsonArray("nodes")).hasSize(11);
    assertThat(all.getJsonArray("edges")).hasSize(10);
    JsonObject edge = all.getJsonArray("edges").getJsonObject(0);
    assertThat(edge.fieldNames()).contains("source", "target", "type");

    JsonObject agents = Relations.graph(cut(), null, null, null, "agent");
    assertThat(ids(agents.getJsonArray("nodes")))
        .containsExactly("agent:alex", "agent:ghost", "agent:sofia");
    assertThat(agents.getJsonArray("edges")).isEmpty();

    JsonObject city = Relations.graph(cut(), null, null, "city", null);
    assertThat(ids(city.getJsonArray("nodes")))
        .containsExactly("channel:general", "microdao:daarion", "microdao:energy");
    assertThat(city.getJsonArray("edges")).hasSize(1);

    JsonObject nodesAroundSofia = Relations.graph(cut(), "agent:sofia", 2, null, "node");
    assertThat(ids(nodesAroundSofia.getJsonArray("nodes")))
        .as("the root stays when filtered out")
        .containsExactly("agent:sofia", "node:1", "node:2");
    assertThat(nodesAroundSofia.getJsonArray("edges")).hasSize(1);

    assertThat(Relations.graph(cut(), "agent:nobody", 2, null, null).getJsonArray("nodes"))
        .isEmpty();
  }

  private static List<String> ids(JsonArray nodes) {
    return nodes.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }
}
