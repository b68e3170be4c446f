package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An entity's frozen JSON must be indistinguishable from the tree it came from for every reader
 * (same bytes when encoded, same fields in the same order, same lookups, equal both ways) and must
 * refuse writes at every depth.
 */
class FrozenJsonTest {
  private final Random random = new Random(20261206);

  @Test
  void readsAndEncodesExactlyAsTheTreeItCameFrom() {
    for (int i = 0; i < 500; i++) {
      JsonObject tree = randomObject(0);
      JsonObject frozen = FrozenJson.object(tree.copy());
      assertThat(frozen.toBuffer()).isEqualTo(tree.toBuffer());
      assertThat(frozen.encodePrettily()).isEqualTo(tree.encodePrettily());
      assertThat(frozen).isEqualTo(tree);
      assertThat(tree).isEqualTo(frozen);
      assertThat(frozen.hashCode()).isEqualTo(tree.hashCode());
      assertThat(List.copyOf(frozen.fieldNames())).isEqualTo(List.copyOf(tree.fieldNames()));
      for (String k : tree.fieldNames()) {
        assertThat(frozen.containsKey(k)).isTrue();
        assertThat(frozen.getValue(k)).isEqualTo(tree.getValue(k));
      }
      assertThat(frozen.containsKey("no such field")).isFalse();
      assertThat(frozen.getValue("no such field")).isNull();
      // A copy is an ordinary tree again: the reducers patch copies.
      JsonObject copy = frozen.copy().put("added", 1);
      assertThat(copy.getInteger("added")).isEqualTo(1);
      assertThat(frozen.containsKey("added")).isFalse();
    }
  }

  /**
   * Read straight from JSON text, a value is what reading it as Jackson's tree and freezing that
   * gave: same bytes again, same number types, same order, the last of duplicate keys at the first
   * one's place, and objects too large to scan kept as ordinary maps.
   */
  @Test
  void readsFromTextAsTheFrozenTreeOfThatText() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      texts.add(randomObject(0).encode());
    }
    StringBuilder wide = new StringBuilder("{");
    for (int i = 0; i < 100; i++) {
      wide.append(i == 0 ? "" : ",").append("\"k").append(i % 70).append("\":").append(i);
    }
    texts.add(wide.append("}").toString());
    texts.add("{\"a\":\"b\",\"b\":1,\"b\":[2,{\"c\":null,\"c\":true}],\"a\":false}");
    texts.add(
        "{\"i\":1,\"l\":12345678901,\"big\":123456789012345678901234567890,\"d\":1.5e300,"
            + "\"e\":-0.0,\"inf\":1e400,\"s\":\"\\u00e9\\n\",\"empty\":{},\"none\":[]}");
    for (String text : texts) {
      Object tree = mapper.readValue(text, Object.class);
      @SuppressWarnings("unchecked")
      JsonObject expected = FrozenJson.object(new JsonObject((Map<String, Object>) tree));
      Object read;
      try (com.fasterxml.jackson.core.JsonParser p = mapper.createParser(text)) {
        p.nextToken();
        read = FrozenJson.read(p);
      }
      assertThat(read).isInstanceOf(JsonObject.class);
      JsonObject actual = (JsonObject) read;
      assertThat(actual.toBuffer()).as(text).isEqualTo(expected.toBuffer());
      assertThat(actual).isEqualTo(expected);
      assertThat(List.copyOf(actual.fieldNames())).isEqualTo(List.copyOf(expected.fieldNames()));
      for (String k : expected.fieldNames()) {
        Object v = expected.getValue(k);
        assertThat(actual.getValue(k)).isEqualTo(v);
        if (v != null) {
          assertThat(actual.getValue(k).getClass()).as(k).isEqualTo(v.getClass());
        }
      }
    }
    JsonObject dup;
    try (com.fasterxml.jackson.core.JsonParser p =
        mapper.createParser("{\"a\":\"b\",\"b\":1,\"b\":2}")) {
      p.nextToken();
      dup = (JsonObject) FrozenJson.read(p);
    }
    assertThat(dup.encode()).isEqualTo("{\"a\":\"b\",\"b\":2}");
    assertThat(dup.getMap()).isInstanceOf(FrozenJson.FrozenMap.class);
    assertThatThrownBy(() -> dup.put("c", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aNullValueIsAFieldThatIsThere() {
    JsonObject frozen = FrozenJson.object(new JsonObject().putNull("gpu").put("cpu", 0.5));
    assertThat(frozen.containsKey("gpu")).isTrue();
    assertThat(frozen.getValue("gpu")).isNull();
    assertThat(frozen.encode()).isEqualTo("{\"gpu\":null,\"cpu\":0.5}");
  }

  @Test
  void refusesWritesAtEveryDepth() {
    JsonObject frozen =
        FrozenJson.object(
            new JsonObject()
                .put("metrics", new JsonObject().put("cpu", 0.5))
                .put("tags", new JsonArray().add("a").add(new JsonObject().put("k", 1))));
    assertThatThrownBy(() -> frozen.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> frozen.remove("metrics"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> frozen.getJsonObject("metrics").put("cpu", 1.0))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> frozen.getJsonArray("tags").add("b"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> frozen.getJsonArray("tags").getJsonObject(1).put("k", 2))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> frozen.clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void anEntityHoldsItsOwnFrozenCopyAndSharesWhatIsFrozenAlready() {
    JsonObject data = new JsonObject().put("name", "n1").put("metrics", new JsonObject());
    Entity e = new Entity("node:n1", "node", data, null, Set.of(), 1, Instant.EPOCH);
    data.put("name", "changed by the caller afterwards");
    assertThat(e.data().getString("name")).isEqualTo("n1");
    assertThat(e.extra()).isNull();
    Entity next = e.withExtra(new JsonObject().put("uuid", "u"));
    assertThat(next.data()).isSameAs(e.data());
    JsonObject patched = e.data().copy().put("status", "online");
    Entity later = e.withData(FrozenJson.object(patched), 2, Instant.EPOCH);
    assertThat(later.data().getString("status")).isEqualTo("online");
    assertThat(later.data().getJsonObject("metrics")).isEqualTo(new JsonObject());
  }

  private JsonObject randomObject(int depth) {
    Map<String, Object> m = new LinkedHashMap<>();
    int n = random.nextInt(depth == 0 ? 30 : 8);
    for (int i = 0; i < n; i++) {
      m.put("f" + random.nextInt(40) + (i % 3 == 0 ? "_x" : ""), randomValue(depth));
    }
    return new JsonObject(m);
  }

  private Object randomValue(int depth) {
    switch (random.nextInt(depth < 3 ? 8 : 6)) {
      case 0:
        return null;
      case 1:
        return random.nextBoolean();
      case 2:
        return random.nextInt();
      case 3:
        return random.nextDouble();
      case 4:
        return "s\u00e9" + random.nextInt(1000) + "\"\n";
      case 5:
        return random.nextLong();
      case 6:
        return randomObject(depth + 1);
      default:
        List<Object> l = new ArrayList<>();
        for (int i = random.nextInt(5); i > 0; i--) {
          l.add(randomValue(depth + 1));
        }
        return new JsonArray(l);
    }
  }
}
