package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.daarion.livingmap.event.Event;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the golden reducer table ({@code src/test/resources/golden/reducers.json}) through {@link
 * Reducers} and {@link SnapshotBuilder}: the entities a client fetches after each event. The same
 * table runs against the web client's {@code apply.ts} ({@code golden.test.ts}), so the two
 * reducers agree on every case listed there.
 */
class ReducersGoldenTest {
  static final String TABLE = "/golden/reducers.json";

  /** Where each entity type sits in the snapshot (CONTRACT section 2). */
  static String[] home(String type) {
    return switch (type) {
      case "node" -> new String[] {"nodes", "items"};
      case "agent" -> new String[] {"agents", "items"};
      case "dao" -> new String[] {"space", "planets"};
      case "microdao" -> new String[] {"city", "items"};
      case "channel" -> new String[] {"city", "channels"};
      default -> throw new IllegalArgumentException("no home for type " + type);
    };
  }

  static JsonArray cases() throws IOException {
    try (InputStream in = ReducersGoldenTest.class.getResourceAsStream(TABLE)) {
      assertThat(in).as(TABLE).isNotNull();
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .getJsonArray("cases");
    }
  }

  @TestFactory
  List<DynamicTest> everyGoldenCase() throws IOException {
    JsonArray cases = cases();
    // The table must cover every subject family the reducers handle.
    Set<String> families = new java.util.TreeSet<>();
    for (Object o : cases) {
      String subject = ((JsonObject) o).getJsonObject("event").getString("event_type");
      families.add(subject.substring(0, subject.indexOf('.')));
    }
    assertThat(families)
        .contains("node", "agent", "usage", "messaging", "dao", "microdao", "living_map");
    List<DynamicTest> tests = new ArrayList<>();
    for (Object o : cases) {
      JsonObject c = (JsonObject) o;
      tests.add(DynamicTest.dynamicTest(c.getString("name"), () -> run(c)));
    }
    return tests;
  }

  private static void run(JsonObject c) {
    Instant at = Instant.parse("2026-01-01T00:00:00Z");
    LiveState s = new LiveState("golden", 1);
    for (Object o : c.getJsonArray("before")) {
      JsonObject b = (JsonObject) o;
      String id = b.getString("id");
      String type = b.getString("type");
      JsonObject data = EntityTypes.blank(type, id).mergeIn(b.getJsonObject("data"), false);
      JsonObject extra = b.getJsonObject("extra", new JsonObject()).copy();
      s.put(new Entity(id, type, data, extra, Set.of(), 1, at));
    }
    c.getJsonObject("aliases", new JsonObject())
        .forEach(a -> s.alias(a.getKey(), (String) a.getValue()));
    JsonObject before = SnapshotBuilder.build(s.cut(at), new JsonObject());

    JsonObject ev = c.getJsonObject("event");
    Instant ts = Instant.parse(ev.getString("timestamp"));
    Event e =
        Event.incoming(ev.getString("event_type"), ev.getJsonObject("payload"), ts, null, null);
    String entityId = s.resolve(e.entityId());
    // The event as the stream sends it: the golden row must carry what the service computes.
    assertThat(entityId).as("entity_id the service sends").isEqualTo(ev.getString("entity_id"));
    assertThat(e.entityType())
        .as("entity_type the service sends")
        .isEqualTo(ev.getString("entity_type"));
    assertThat(ts.toString())
        .as("timestamp as the service writes it")
        .isEqualTo(ev.getString("timestamp"));

    String refused = Reducers.applyChecked(e, entityId, 2, s);
    JsonObject after = SnapshotBuilder.build(s.cut(at), new JsonObject());
    if (c.getBoolean("service_rejects", false)) {
      assertThat(refused).as("the service refuses this event").isNotNull();
      assertThat(after.getJsonObject("layers")).isEqualTo(before.getJsonObject("layers"));
    } else {
      assertThat(refused).as("the service applies this event").isNull();
    }
    check(c, after.getJsonObject("layers"));
  }

  static void check(JsonObject c, JsonObject layers) {
    for (Object o : c.getJsonArray("after")) {
      JsonObject want = (JsonObject) o;
      String id = want.getString("id");
      String[] home = home(want.getString("type"));
      JsonObject item = find(layers.getJsonObject(home[0]).getJsonArray(home[1]), id);
      if (want.getBoolean("absent", false)) {
        assertThat(item).as(id + " is absent").isNull();
        continue;
      }
      assertThat(item).as(id + " is present").isNotNull();
      matches(id, want.getJsonObject("fields"), item);
      for (Object f : want.getJsonArray("absent_fields", new JsonArray())) {
        assertThat(item.containsKey((String) f)).as(id + " has no " + f).isFalse();
      }
      if ("node".equals(want.getString("type"))) {
        JsonObject view = find(layers.getJsonObject("space").getJsonArray("nodes"), id);
        assertThat(view).as(id + " in space.nodes").isNotNull();
        assertThat(view.getString("status")).isEqualTo(item.getString("status"));
      }
    }
    c.getJsonObject("layers", new JsonObject())
        .forEach(
            l ->
                matches(
                    "layer " + l.getKey(),
                    (JsonObject) l.getValue(),
                    layers.getJsonObject(l.getKey())));
  }

  private static JsonObject find(JsonArray items, String id) {
    for (Object o : items) {
      if (o instanceof JsonObject j && id.equals(j.getString("id"))) {
        return j;
      }
    }
    return null;
  }

  /** The listed keys of {@code want} equal those of {@code got}; numbers compare by value. */
  private static void matches(String where, JsonObject want, JsonObject got) {
    for (String key : want.fieldNames()) {
      Object w = want.getValue(key);
      Object g = got.getValue(key);
      String at = where + "." + key;
      assertThat(got.containsKey(key)).as(at + " is present").isTrue();
      if (w instanceof JsonObject wo) {
        assertThat(g).as(at).isInstanceOf(JsonObject.class);
        matches(at, wo, (JsonObject) g);
      } else if (w instanceof Number wn) {
        assertThat(g).as(at).isInstanceOf(Number.class);
        assertThat(((Number) g).doubleValue()).as(at).isEqualTo(wn.doubleValue());
      } else {
        assertThat(g).as(at).isEqualTo(w);
      }
    }
  }
}
