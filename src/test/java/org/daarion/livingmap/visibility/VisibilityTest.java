package org.daarion.livingmap.visibility;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The filter's rules on hand-made bodies: what is dropped, what is redacted, what stays. */
class VisibilityTest {
  private static final Map<String, String> ALIASES =
      Map.of(
          "node:5f0c1e2a-0000-4000-8000-000000000001", "node:gpu-01",
          "agent:a9000007-0000-4000-8000-000000000003", "agent:sofia",
          "microdao:3d000008-0000-4000-8000-000000000001", "microdao:daarion");

  /** Like {@code LiveState.resolve}: typed aliases, bare keys tried under every type. */
  static String resolve(String ref) {
    String a = ALIASES.get(ref);
    if (a != null) {
      return a;
    }
    if (ref.indexOf(':') < 0) {
      for (String t : List.of("microdao", "dao", "node", "agent", "channel")) {
        a = ALIASES.get(t + ":" + ref);
        if (a != null) {
          return a;
        }
      }
    }
    return ref;
  }

  private final Visibility reader =
      Visibility.hiding(Set.of("nodes", "agents"), VisibilityTest::resolve);

  @Test
  void classesAreKeyedByTheirSortedHiddenLayers() {
    assertThat(reader.key()).isEqualTo("agents,nodes");
    assertThat(reader.hiddenTypes()).containsExactlyInAnyOrder("node", "agent");
    assertThat(Visibility.hiding(Set.of(), VisibilityTest::resolve)).isSameAs(Visibility.FULL);
    assertThat(Visibility.FULL.key()).isEmpty();
  }

  @Test
  void aBodyWithoutHiddenReferencesIsTheSameInstance() {
    JsonObject body =
        new JsonObject()
            .put("id", "microdao:daarion")
            .put("members", 4)
            .put("channels", new JsonArray().add("channel:general"));
    assertThat(reader.redact(body)).isSameAs(body);
  }

  @Test
  void aDaoLosesItsHiddenOrbitsAndRelationsAndNothingElse() {
    JsonObject dao =
        new JsonObject()
            .put("id", "dao:daarion")
            .put("type", "dao")
            .put(
                "data",
                new JsonObject()
                    .put("microdao_id", "microdao:daarion")
                    .put(
                        "orbits",
                        new JsonArray()
                            .add("node:gpu-01")
                            .add("5f0c1e2a-0000-4000-8000-000000000001")
                            .add("gpu-02")))
            .put(
                "relations",
                new JsonArray()
                    .add(new JsonObject().put("relation", "orbited_by").put("target", "node:x"))
                    .add(
                        new JsonObject()
                            .put("relation", "owned_by")
                            .put("target", "microdao:daarion")));
    String before = dao.encode();
    JsonObject out = reader.redact(dao);
    assertThat(dao.encode()).as("input unchanged").isEqualTo(before);
    assertThat(out.getJsonObject("data").getJsonArray("orbits")).isEmpty();
    assertThat(out.getJsonObject("data").getString("microdao_id")).isEqualTo("microdao:daarion");
    assertThat(out.getJsonArray("relations")).hasSize(1);
    assertThat(out.getJsonArray("relations").getJsonObject(0).getString("target"))
        .isEqualTo("microdao:daarion");
  }

  @Test
  void payloadReferencesAreDroppedByPrefixKeyNameSiblingTypeOrAlias() {
    JsonObject row =
        new JsonObject()
            .put("entity_id", "channel:general")
            .put(
                "payload",
                new JsonObject()
                    .put("channel_id", "general")
                    .put("sender_type", "agent")
                    .put("sender_id", "sofia")
                    .put("reply_to", "a9000007-0000-4000-8000-000000000003")
                    .put("node_id", "anything")
                    .put("host", "node:gpu-01")
                    .put("text", "hello from agent:sofia on node:gpu-01."));
    JsonObject p = reader.redact(row).getJsonObject("payload");
    assertThat(p.fieldNames())
        .containsExactlyInAnyOrder("channel_id", "sender_type", "text")
        .doesNotContain("sender_id", "reply_to", "node_id", "host");
    assertThat(p.getString("text")).isEqualTo("hello from [hidden] on [hidden].");
  }

  @Test
  void objectsAboutHiddenEntitiesLeaveListsAndWholeBodiesAreWithheld() {
    JsonObject alerts =
        new JsonObject()
            .put(
                "items",
                new JsonArray()
                    .add(new JsonObject().put("id", "al-1").put("entity_id", "node:gpu-01"))
                    .add(new JsonObject().put("id", "al-2").put("entity_id", "microdao:daarion"))
                    .add(new JsonObject().put("event_type", "agent.event.status").put("count", 3))
                    .add(new JsonObject().put("id", "a9000007-0000-4000-8000-000000000003")))
            .put("by_entity", new JsonObject().put("node:gpu-01", 2).put("dao:x", 1));
    JsonObject out = reader.redact(alerts);
    assertThat(out.getJsonArray("items")).hasSize(1);
    assertThat(out.getJsonArray("items").getJsonObject(0).getString("id")).isEqualTo("al-2");
    assertThat(out.getJsonObject("by_entity").fieldNames()).containsExactly("dao:x");
    assertThat(reader.redact(new JsonObject().put("entity_id", "agent:sofia"))).isNull();
  }

  @Test
  void theSnapshotLosesHiddenLayersAndReferencesAndSaysWhich() {
    JsonObject full =
        new JsonObject()
            .put("seq", 7)
            .put(
                "layers",
                new JsonObject()
                    .put("city", new JsonObject().put("items", new JsonArray()))
                    .put(
                        "space",
                        new JsonObject()
                            .put(
                                "nodes",
                                new JsonArray().add(new JsonObject().put("id", "node:gpu-01")))
                            .put(
                                "planets",
                                new JsonArray()
                                    .add(
                                        new JsonObject()
                                            .put("id", "dao:d")
                                            .put("orbits", new JsonArray().add("node:gpu-01")))))
                    .put("nodes", new JsonObject().put("total_cpu", 1.0))
                    .put("agents", new JsonObject().put("total_agents", 2)))
            .put("meta", new JsonObject().put("version", "v"));
    String before = full.encode();
    JsonObject out = reader.snapshotReducer().apply(full);
    assertThat(full.encode()).isEqualTo(before);
    assertThat(out.getJsonObject("layers").fieldNames()).containsExactly("city", "space");
    assertThat(out.getJsonObject("layers").getJsonObject("space").getJsonArray("nodes")).isEmpty();
    assertThat(
            out.getJsonObject("layers")
                .getJsonObject("space")
                .getJsonArray("planets")
                .getJsonObject(0)
                .getJsonArray("orbits"))
        .isEmpty();
    assertThat(out.getJsonObject("meta").getJsonArray("hidden_layers").getList())
        .containsExactly("agents", "nodes");
    assertThat(out.getInteger("seq")).isEqualTo(7);
    assertThat(Visibility.FULL.snapshot(full)).isSameAs(full);
  }

  @Test
  void streamFramesAboutHiddenEntitiesOrSubjectsAreNotSent() {
    JsonObject node =
        new JsonObject()
            .put("kind", "event")
            .put("event_type", "node.metrics.gpu-01")
            .put("entity_id", "node:gpu-01")
            .put("entity_type", "node");
    assertThat(reader.event(node)).isNull();
    JsonObject bySubject =
        new JsonObject().put("kind", "event").put("event_type", "agent.event.status");
    assertThat(reader.event(bySubject)).isNull();
    JsonObject visible =
        new JsonObject()
            .put("kind", "event")
            .put("event_type", "messaging.message.created")
            .put("entity_id", "channel:general")
            .put("entity_type", "channel")
            .put("payload", new JsonObject().put("channel_id", "general"));
    assertThat(reader.event(visible)).isSameAs(visible);
  }

  @Test
  void rejectedRawPayloadsAreFilteredAsJsonOrWithheld() {
    JsonObject rejected =
        new JsonObject()
            .put(
                "items",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("subject", "messaging.message.created")
                            .put(
                                "raw",
                                "{\"sender_type\":\"agent\",\"sender_id\":\"sofia\",\"x\":1e999}")
                            .put("raw_encoding", "utf8"))
                    .add(
                        new JsonObject()
                            .put("subject", "messaging.message.created")
                            .put("raw", "AAEC")
                            .put("raw_encoding", "base64"))
                    .add(new JsonObject().put("subject", "node.metrics.gpu-01").put("raw", "{")));
    JsonArray items = reader.redact(rejected).getJsonArray("items");
    assertThat(items).hasSize(2);
    assertThat(items.getJsonObject(0).getString("raw")).doesNotContain("sofia");
    assertThat(items.getJsonObject(1).containsKey("raw")).isFalse();
  }
}
