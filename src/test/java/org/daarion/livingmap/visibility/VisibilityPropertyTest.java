package org.daarion.livingmap.visibility;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.arbitraries.ListArbitrary;

/**
 * Seam 4, pure half: for any set of hidden layers and any JSON tree (entities, rows, payloads,
 * alert texts) mixing references to every type, typed, bare under a typed key, by alias, or in
 * text, the filtered tree mentions no hidden entity, keeps every reference to a visible one that is
 * not inside an object about a hidden one, and leaves the input unchanged.
 */
@Tag("adversary")
class VisibilityPropertyTest {
  private static final List<String> TYPES = List.of("microdao", "dao", "node", "agent", "channel");
  private static final List<String> LAYERS = List.of("city", "space", "nodes", "agents");

  /** Entity {@code type:sN} has the alias {@code uuid-type-N}. */
  private static String resolve(String ref) {
    String bare = ref.indexOf(':') > 0 ? ref.substring(ref.indexOf(':') + 1) : ref;
    if (bare.startsWith("uuid-")) {
      String[] p = bare.split("-");
      if (p.length == 3 && TYPES.contains(p[1])) {
        return p[1] + ":s" + p[2];
      }
    }
    return ref;
  }

  record Ref(String type, int n, int form) {
    String id() {
      return type + ":s" + n;
    }

    /** How the tree mentions it: typed id, alias, text, or bare under a typed key. */
    void put(JsonObject into, String field) {
      switch (form) {
        case 0 -> into.put(field, id());
        case 1 -> into.put(field, "uuid-" + type + "-" + n);
        case 2 -> into.put(field, "see " + id() + ", urgent");
        default -> into.put(type + "_id", "s" + n);
      }
    }
  }

  @Provide
  Arbitrary<Ref> refs() {
    return Combinators.combine(
            Arbitraries.of(TYPES),
            Arbitraries.integers().between(1, 9),
            Arbitraries.integers().between(0, 3))
        .as(Ref::new);
  }

  @Provide
  Arbitrary<Set<String>> hiddenLayers() {
    return Arbitraries.of(LAYERS).set().ofMinSize(1).ofMaxSize(4);
  }

  @Provide
  ListArbitrary<List<Ref>> trees() {
    return refs().list().ofMinSize(1).ofMaxSize(6).list().ofMinSize(1).ofMaxSize(6);
  }

  @Property(tries = 300)
  void noHiddenEntityIsMentionedAfterTheFilter(
      @ForAll("hiddenLayers") Set<String> hidden, @ForAll("trees") List<List<Ref>> tree) {
    Visibility v = Visibility.hiding(hidden, VisibilityPropertyTest::resolve);
    // An entity list: each item is about its first ref and mentions the others in its payload.
    JsonArray items = new JsonArray();
    List<String> expectedVisible = new ArrayList<>();
    for (List<Ref> row : tree) {
      Ref self = row.get(0);
      JsonObject item = new JsonObject().put("id", self.id());
      JsonObject payload = new JsonObject();
      JsonArray mentions = new JsonArray();
      for (int i = 1; i < row.size(); i++) {
        row.get(i).put(payload, "f" + i);
        mentions.add(row.get(i).id());
      }
      item.put("payload", payload).put("mentions", mentions);
      items.add(item);
      if (!v.hidesType(self.type())) {
        for (int i = 1; i < row.size(); i++) {
          if (!v.hidesType(row.get(i).type())) {
            expectedVisible.add(row.get(i).id());
          }
        }
      }
    }
    JsonObject body = new JsonObject().put("items", items);
    String before = body.encode();
    JsonObject out = v.redact(body);
    assertThat(body.encode()).isEqualTo(before);
    String text = out.encode();
    for (List<Ref> row : tree) {
      for (Ref r : row) {
        if (v.hidesType(r.type())) {
          assertThat(mentions(text, r.id())).as(r.id() + " in " + text).isFalse();
          assertThat(mentions(text, "uuid-" + r.type() + "-" + r.n())).isFalse();
          assertThat(text).doesNotContain("\"" + r.type() + "_id\"");
        }
      }
    }
    for (String id : expectedVisible) {
      assertThat(text).contains("\"" + id + "\"");
    }
  }

  private static boolean mentions(String text, String id) {
    return java.util.regex.Pattern.compile(
            "(?<![A-Za-z0-9_])" + java.util.regex.Pattern.quote(id) + "(?![A-Za-z0-9_])")
        .matcher(text)
        .find();
  }
}
