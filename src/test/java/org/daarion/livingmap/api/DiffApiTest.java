package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.Test;

/** {@code GET /living-map/diff} over the real service and a real PostgreSQL. */
class DiffApiTest {
  private static byte[] metrics(String node, double cpu) {
    return ("{\"node_id\":\"" + node + "\",\"cpu\":" + cpu + ",\"gpu\":0.1,\"ram\":0.2}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static long stored(Application app) {
    return app.history().lastPosition().join().map(p -> p.seq()).orElse(0L);
  }

  @Test
  void diffOfTwoInstantsSaysWhatWasAddedAndWhichFieldsChanged() {
    try (Application app = TestApps.start(TestApps.config(Map.of("LIVING_MAP_SIMULATOR", "off")))) {
      Http http = new Http(app.port());
      app.bus().publish("node.metrics.a", metrics("a", 0.1), null);
      app.bus().publish("node.metrics.b", metrics("b", 0.2), null);
      await().until(() -> stored(app) >= 2);
      app.storeSnapshotNow().join();
      Instant t1 = Instant.now();
      long seq1 = stored(app);
      await().until(() -> Instant.now().isAfter(t1.plusMillis(20)));
      app.bus().publish("node.metrics.a", metrics("a", 0.5), null);
      app.bus().publish("node.metrics.c", metrics("c", 0.3), null);
      await().until(() -> stored(app) >= 4);
      Instant t2 = Instant.now();
      long seq2 = stored(app);

      Http.Response r = http.get("/living-map/diff?from=" + t1 + "&to=" + t2);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonObject d = r.json();
      assertThat(ids(d.getJsonArray("added"))).containsExactly("node:c");
      assertThat(d.getJsonArray("removed")).isEmpty();
      JsonArray changed = d.getJsonArray("changed");
      assertThat(ids(changed)).containsExactly("node:a");
      JsonObject a = changed.getJsonObject(0);
      assertThat(a.getString("type")).isEqualTo("node");
      JsonObject cpu = a.getJsonObject("fields").getJsonObject("metrics.cpu");
      assertThat(cpu.getDouble("from")).isEqualTo(0.1);
      assertThat(cpu.getDouble("to")).isEqualTo(0.5);
      assertThat(d.getJsonObject("counts").getInteger("added")).isEqualTo(1);
      assertThat(d.getJsonObject("counts").getInteger("changed")).isEqualTo(1);
      assertThat(d.getBoolean("has_more")).isFalse();
      assertThat(d.getJsonObject("from").getLong("seq")).isEqualTo(seq1);
      assertThat(d.getJsonObject("to").getLong("seq")).isEqualTo(seq2);

      // A range reaching back before the oldest stored snapshot starts there, and says so.
      Http.Response early = http.get("/living-map/diff?from=2001-01-01T00:00:00Z&to=" + t2);
      assertThat(early.status()).as(early.body()).isEqualTo(200);
      JsonObject e = early.json();
      assertThat(e.getJsonObject("from").getString("requested_at"))
          .isEqualTo("2001-01-01T00:00:00Z");
      assertThat(Instant.parse(e.getJsonObject("from").getString("at")))
          .isAfter(Instant.parse("2001-01-01T00:00:00Z"))
          .isBeforeOrEqualTo(t1);
      assertThat(ids(e.getJsonArray("added"))).contains("node:c");

      // The same by position.
      JsonObject bySeq = http.get("/living-map/diff?from_seq=" + seq1 + "&to_seq=" + seq2).json();
      assertThat(bySeq.getJsonArray("added")).isEqualTo(d.getJsonArray("added"));
      assertThat(bySeq.getJsonArray("changed")).isEqualTo(changed);

      // A `to` of now or later is the live state, not a rebuild, and says so; a rebuild at the
      // same position (by seq, always rebuilt) finds the same entries.
      Instant later = Instant.now().plusSeconds(3600);
      JsonObject live = http.get("/living-map/diff?from=" + t1 + "&to=" + later).json();
      JsonObject liveTo = live.getJsonObject("to");
      assertThat(liveTo.getBoolean("live")).isTrue();
      assertThat(liveTo.getString("requested_at")).isEqualTo(later.toString());
      assertThat(liveTo.getInteger("events_replayed")).isZero();
      assertThat(Instant.parse(liveTo.getString("at")).getNano() % 1_000).isZero();
      assertThat(liveTo.getLong("seq")).isEqualTo(seq2);
      assertThat(live.getJsonArray("added")).isEqualTo(bySeq.getJsonArray("added"));
      assertThat(live.getJsonArray("changed")).isEqualTo(bySeq.getJsonArray("changed"));
      assertThat(bySeq.getJsonObject("to").getValue("live")).isNull();

      // Filters.
      assertThat(
              http.get("/living-map/diff?from=" + t1 + "&to=" + t2 + "&type=agent")
                  .json()
                  .getJsonObject("counts")
                  .getInteger("total"))
          .isZero();
      JsonObject onlyA =
          http.get("/living-map/diff?from=" + t1 + "&to=" + t2 + "&entity_id=node:a").json();
      assertThat(ids(onlyA.getJsonArray("changed"))).containsExactly("node:a");
      assertThat(onlyA.getJsonArray("added")).isEmpty();

      // Pages: one entry each, the cursor continues in id order.
      JsonObject p1 = http.get("/living-map/diff?from=" + t1 + "&to=" + t2 + "&limit=1").json();
      assertThat(p1.getBoolean("has_more")).isTrue();
      assertThat(p1.getString("next_cursor")).isEqualTo("node:a");
      assertThat(ids(p1.getJsonArray("changed"))).containsExactly("node:a");
      JsonObject p2 =
          http.get(
                  "/living-map/diff?from="
                      + t1
                      + "&to="
                      + t2
                      + "&limit=1&cursor="
                      + p1.getString("next_cursor"))
              .json();
      assertThat(ids(p2.getJsonArray("added"))).containsExactly("node:c");
      assertThat(p2.getBoolean("has_more")).isFalse();
      assertThat(p2.getJsonObject("counts")).isEqualTo(p1.getJsonObject("counts"));
    }
  }

  /**
   * An entity nobody touched between the two instants is not listed, whichever way each side was
   * built: here node b is replayed from history on the {@code from} side (history keeps
   * microseconds) and read from a stored snapshot on the {@code to} side (cut from the live state).
   * With nanosecond timestamps in the live state, b was listed as changed by the last digits of its
   * {@code last_seen}, and so was every entity at 100x DAARION.
   */
  @Test
  void anEntityUntouchedBetweenTheInstantsIsNotListedWhateverEachSideWasBuiltFrom() {
    try (Application app = TestApps.start(TestApps.config(Map.of("LIVING_MAP_SIMULATOR", "off")))) {
      Http http = new Http(app.port());
      app.bus().publish("node.metrics.a", metrics("a", 0.1), null);
      await().until(() -> stored(app) >= 1);
      app.storeSnapshotNow().join();
      app.bus().publish("node.metrics.b", metrics("b", 0.2), null);
      await().until(() -> stored(app) >= 2);
      long from = stored(app);
      app.bus().publish("node.metrics.d", metrics("d", 0.4), null);
      await().until(() -> stored(app) >= 3);
      app.storeSnapshotNow().join();
      app.bus().publish("node.metrics.c", metrics("c", 0.3), null);
      await().until(() -> stored(app) >= 4);
      long to = stored(app);

      JsonObject d = http.get("/living-map/diff?from_seq=" + from + "&to_seq=" + to).json();
      assertThat(d.getJsonObject("from").getInteger("events_replayed")).isEqualTo(1);
      assertThat(d.getJsonObject("to").getInteger("events_replayed")).isEqualTo(1);
      assertThat(ids(d.getJsonArray("added"))).containsExactly("node:c", "node:d");
      assertThat(d.getJsonArray("changed")).as("b and a did not change").isEmpty();
    }
  }

  @Test
  void badParametersAre400WithTheParameterNamed() {
    try (Application app = TestApps.start(TestApps.config(Map.of("LIVING_MAP_SIMULATOR", "off")))) {
      Http http = new Http(app.port());
      String now = Instant.now().toString();
      String[][] cases = {
        {"/living-map/diff", "from"},
        {"/living-map/diff?from=" + now, "to"},
        {"/living-map/diff?from=yesterday&to=" + now, "from"},
        {"/living-map/diff?from=" + now + "&to=2001-01-01T00:00:00Z", "to"},
        {"/living-map/diff?from_seq=-1&to_seq=3", "from_seq"},
        {"/living-map/diff?from_seq=5&to_seq=3", "to_seq"},
        {"/living-map/diff?from_seq=1&to_seq=x", "to_seq"},
        {"/living-map/diff?from=" + now + "&to=" + now + "&from_seq=1&to_seq=2", "from"},
        {"/living-map/diff?from=" + now + "&to=" + now + "&layer=moon", "layer"},
        {"/living-map/diff?from=" + now + "&to=" + now + "&type=planet", "type"},
        {"/living-map/diff?from=" + now + "&to=" + now + "&limit=0", "limit"},
      };
      for (String[] c : cases) {
        Http.Response r = http.get(c[0]);
        assertThat(r.status()).as(c[0] + ": " + r.body()).isEqualTo(400);
        assertThat(r.json().getString("parameter")).as(c[0]).isEqualTo(c[1]);
      }
      // A range that ends before anything was stored has nothing to compare.
      Http.Response none =
          http.get("/living-map/diff?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z");
      assertThat(none.status()).as(none.body()).isEqualTo(404);
      assertThat(none.json().getString("error")).isEqualTo("not_found");
    }
  }

  private static java.util.List<String> ids(JsonArray a) {
    return a.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }
}
