package org.daarion.livingmap.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.daarion.livingmap.wire.JsonAscii;
import org.junit.jupiter.api.Test;

/**
 * The encoder's bytes are the tree builder's, byte for byte, on every version of a state that
 * changes under it: entities replaced, replaced by equal copies, added, removed, aliases added, a
 * microDAO's counts moving, hostile names (non-ASCII among them, escaped as {@link JsonAscii}
 * does). An item kept from an earlier version that should have been encoded again shows up as a
 * difference.
 */
class SnapshotEncoderTest {
  private static final JsonObject META =
      new JsonObject()
          .put("version", "test")
          .put("sources", new JsonObject().put("x", "é \"quoted\" \u2028"));

  @Property(tries = 40)
  void everyVersionIsTheTreeBuildersBytes(@ForAll long seed) {
    Random r = new Random(seed);
    Map<String, Entity> state = new HashMap<>();
    Map<String, String> aliases = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      Entity e = randomEntity(r, i);
      state.put(e.id(), e);
    }
    SnapshotEncoder encoder = new SnapshotEncoder();
    Map<String, String> cutAliases = Map.of();
    for (int version = 1; version <= 25; version++) {
      mutate(r, state, aliases);
      // As the owner does: the same immutable map until an alias changes, which lets the encoder
      // keep resolved references; a version with nothing but an alias change must still show it.
      if (!cutAliases.equals(aliases)) {
        cutAliases = Map.copyOf(aliases);
      }
      StateCut cut =
          new StateCut(
              "ep",
              version * 10L,
              version,
              Instant.ofEpochSecond(1_700_000_000L + version),
              new ArrayList<>(state.values()),
              cutAliases,
              0);
      String expected =
          new String(
              JsonAscii.escape(ReferenceSnapshotBuilder.build(cut, META).encode().getBytes(UTF_8)),
              UTF_8);
      assertThat(encoder.encode(cut, META).toString())
          .as("version %d of seed %d", version, seed)
          .isEqualTo(expected);
    }
  }

  @Test
  void theBytesAreAsciiAndReadAsTheSameNames() {
    String name = "\u0414\u0410\u0420\u0406\u041e\u041d \ud83d\ude80 \u2028 caf\u00e9";
    Entity e =
        new Entity(
            "microdao:x",
            "microdao",
            new JsonObject().put("id", "microdao:x").put("name", name).put("members", 3),
            new JsonObject(),
            Set.of(),
            1,
            Instant.EPOCH);
    StateCut cut = new StateCut("ep", 1, 1, Instant.EPOCH, List.of(e), Map.of(), 0);
    Buffer b = new SnapshotEncoder().encode(cut, META);
    for (int i = 0; i < b.length(); i++) {
      assertThat(b.getByte(i)).as("byte %d", i).isNotNegative();
    }
    JsonObject parsed = new JsonObject(b);
    assertThat(parsed.getJsonObject("layers").getJsonObject("city").getJsonArray("items"))
        .singleElement()
        .satisfies(it -> assertThat(((JsonObject) it).getString("name")).isEqualTo(name));
    assertThat(parsed.getJsonObject("meta").getJsonObject("sources").getString("x"))
        .isEqualTo(META.getJsonObject("sources").getString("x"));
  }

  @Test
  void aTreeFromTheBuilderIsTheReferenceTree() {
    Random r = new Random(7);
    List<Entity> all = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      all.add(randomEntity(r, i));
    }
    StateCut cut =
        new StateCut("ep", 5, 5, Instant.EPOCH, all, Map.of("microdao:uuid-1", "microdao:m1"), 0);
    assertThat(SnapshotBuilder.build(cut, META))
        .isEqualTo(ReferenceSnapshotBuilder.build(cut, META));
  }

  private static final String[] TYPES = {"microdao", "dao", "node", "agent", "channel"};

  private static Entity randomEntity(Random r, int i) {
    String type = TYPES[r.nextInt(TYPES.length)];
    String id = type + ":" + (r.nextInt(4) == 0 ? "n\u00e4me-\"" + i + "\"" : "e" + i);
    JsonObject d = new JsonObject().put("id", id).put("name", "Name " + r.nextInt(1000));
    d.put("status", r.nextBoolean() ? "online" : r.nextBoolean() ? "offline" : "inactive");
    if (!type.equals("microdao")) {
      switch (r.nextInt(5)) {
        case 0 -> d.put("microdao_id", "m" + r.nextInt(6));
        case 1 -> d.put("microdao_id", "microdao:m" + r.nextInt(6));
        case 2 -> d.put("microdao_id", "uuid-" + r.nextInt(3));
        case 3 -> d.putNull("microdao_id");
        default -> {}
      }
    }
    switch (type) {
      case "node" -> {
        d.put(
            "metrics",
            new JsonObject()
                .put("cpu", r.nextDouble())
                .put("gpu", r.nextInt(3) == 0 ? 0 : r.nextDouble() * 100)
                .put("ram", r.nextDouble()));
        if (r.nextBoolean()) {
          d.put("alerts", new JsonArray().add(new JsonObject().put("rule", "hot")));
        }
      }
      case "agent" -> {
        if (r.nextBoolean()) {
          d.put("usage", new JsonObject().put("llm_calls_24h", r.nextInt(100_000)));
        }
      }
      case "dao" -> {
        JsonArray orbits = new JsonArray();
        for (int k = r.nextInt(4); k > 0; k--) {
          orbits.add(r.nextBoolean() ? "node:e" + r.nextInt(40) : "host-" + r.nextInt(5));
        }
        if (r.nextBoolean()) {
          orbits.addNull();
        }
        d.put("orbits", orbits);
      }
      case "microdao" -> {
        d.put("members", r.nextInt(50));
        if (r.nextBoolean()) {
          d.put("agents", 999);
        }
      }
      default -> {}
    }
    return new Entity(id, type, d, new JsonObject(), Set.of(), i, Instant.EPOCH);
  }

  private static void mutate(Random r, Map<String, Entity> state, Map<String, String> aliases) {
    List<String> ids = new ArrayList<>(state.keySet());
    if (r.nextInt(5) == 0) {
      return; // a version in which nothing changed: every item and the order kept
    }
    for (int k = r.nextInt(6); k > 0 && !ids.isEmpty(); k--) {
      String id = ids.get(r.nextInt(ids.size()));
      Entity e = state.get(id);
      if (e == null) {
        continue; // removed earlier in this round
      }
      switch (r.nextInt(5)) {
        case 0 -> {
          if (r.nextBoolean()) {
            state.remove(id);
          } else {
            // The same id as another kind: the item of the old kind must not be reused.
            String type = TYPES[r.nextInt(TYPES.length)];
            state.put(id, new Entity(id, type, e.data(), e.extra(), Set.of(), e.seq() + 1, null));
          }
        }
        case 1 -> state.put(id, e.withData(e.data().copy(), e.seq() + 1, Instant.EPOCH));
        case 2 -> {
          JsonObject d = e.data().copy().put("status", r.nextBoolean() ? "online" : "offline");
          if (d.getValue("metrics") instanceof JsonObject) {
            d.getJsonObject("metrics").put("cpu", r.nextDouble());
          }
          state.put(id, e.withData(d, e.seq() + 1, Instant.EPOCH));
        }
        case 3 -> {
          Entity n = randomEntity(r, 1000 + r.nextInt(1000));
          state.put(n.id(), n);
        }
        default -> {
          JsonObject d = e.data().copy().put("microdao_id", "m" + r.nextInt(6));
          state.put(id, e.withData(d, e.seq() + 1, Instant.EPOCH));
        }
      }
    }
    if (r.nextInt(4) == 0) {
      aliases.put("microdao:uuid-" + r.nextInt(3), "microdao:m" + r.nextInt(6));
    }
    if (r.nextInt(4) == 0) {
      aliases.put("node:host-" + r.nextInt(5), "node:e" + r.nextInt(40));
    }
  }
}
