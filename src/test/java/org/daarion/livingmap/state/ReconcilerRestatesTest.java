package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class ReconcilerRestatesTest {
  private final JsonObject base =
      new JsonObject()
          .put("name", "A")
          .put("cpu", 12.5)
          .put("tags", new JsonArray().add("x"))
          .put("gone", (Object) null)
          .put("usage", new JsonObject().put("calls", 3L).put("last", "t1"));

  @Test
  void aPatchThatRestatesValuesOrASubsetOfANestedObjectChangesNothing() {
    assertThat(Reconciler.restates(base, new JsonObject())).isTrue();
    assertThat(Reconciler.restates(base, new JsonObject().put("name", "A").put("cpu", 12.5)))
        .isTrue();
    assertThat(Reconciler.restates(base, new JsonObject().put("tags", new JsonArray().add("x"))))
        .isTrue();
    assertThat(Reconciler.restates(base, new JsonObject().put("gone", (Object) null))).isTrue();
    assertThat(
            Reconciler.restates(
                base, new JsonObject().put("usage", new JsonObject().put("calls", 3L))))
        .isTrue();
  }

  @Test
  void anyDifferenceOrDoubtIsAChange() {
    assertThat(Reconciler.restates(base, new JsonObject().put("name", "B"))).isFalse();
    assertThat(Reconciler.restates(base, new JsonObject().put("new", (Object) null))).isFalse();
    assertThat(Reconciler.restates(base, new JsonObject().put("gone", 1))).isFalse();
    assertThat(Reconciler.restates(base, new JsonObject().put("name", (Object) null))).isFalse();
    assertThat(
            Reconciler.restates(
                base, new JsonObject().put("usage", new JsonObject().put("calls", 4L))))
        .isFalse();
    // Same number, another class: left to the full merge, which decides.
    assertThat(
            Reconciler.restates(
                base, new JsonObject().put("usage", new JsonObject().put("calls", 3))))
        .isFalse();
    assertThat(Reconciler.restates(base, new JsonObject().put("usage", "flat"))).isFalse();
    assertThat(Reconciler.restates(base, new JsonObject().put("tags", new JsonArray()))).isFalse();
  }
}
