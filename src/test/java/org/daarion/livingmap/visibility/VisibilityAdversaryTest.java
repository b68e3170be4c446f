package org.daarion.livingmap.visibility;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.daarion.livingmap.visibility.VisibilityWorld.ADMIN;
import static org.daarion.livingmap.visibility.VisibilityWorld.enc;
import static org.daarion.livingmap.visibility.VisibilityWorld.leaks;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.Tag;
import org.daarion.livingmap.state.EntityTypes;
import org.daarion.livingmap.testing.Http;

/**
 * Seam 4, the service half: for a generated layer-role configuration and generated principals (API
 * keys and JWTs with generated roles), no id of an entity on a layer hidden from the principal, nor
 * any upstream UUID of one, appears in any GET route's bytes (current and past snapshot, every
 * visible entity's detail and history included) or in the stream's (snapshot, live events under a
 * generated filter, resume from seq 1); and every layer the principal may see is there.
 *
 * <p>Each configuration starts the whole service (PostgreSQL, simulator), so tries are few: {@code
 * -Dadversary.tries=N} configurations (default 1, the short mode of {@code scripts/test}); {@code
 * -Dadversary.seed} repeats a run (the seed is in every failure message).
 */
@Tag("adversary")
class VisibilityAdversaryTest {
  private static final List<String> ROLES =
      List.of("living-map:ops", "living-map:agents", "living-map:finance");

  /** The API keys {@link VisibilityWorld} configures, with their roles. */
  private static final Map<String, Set<String>> KEYS =
      Map.of(
          "reader-key", Set.of("living-map:read"),
          "ops-key", Set.of("living-map:read", "living-map:ops"),
          "agents-key", Set.of("living-map:read", "living-map:agents"));

  private static Arbitrary<Map<String, Set<String>>> layerRoles() {
    Arbitrary<Set<String>> roles = Arbitraries.of(ROLES).set().ofMinSize(1).ofMaxSize(2);
    Arbitrary<Set<String>> listed = Arbitraries.of(EntityTypes.LAYERS).set().ofMinSize(1);
    return listed.flatMap(
        layers ->
            roles
                .list()
                .ofSize(layers.size())
                .map(
                    rs -> {
                      Map<String, Set<String>> m = new LinkedHashMap<>();
                      int i = 0;
                      for (String l : new TreeSet<>(layers)) {
                        m.put(l, rs.get(i++));
                      }
                      return m;
                    }));
  }

  private static String encode(Map<String, Set<String>> config) {
    List<String> parts = new ArrayList<>();
    config.forEach((l, rs) -> parts.add(l + "=" + String.join("|", new TreeSet<>(rs))));
    return String.join(",", parts);
  }

  /** The oracle, independent of LayerPolicy: a listed layer is hidden without one of its roles. */
  private static Set<String> hiddenLayers(Map<String, Set<String>> config, Set<String> roles) {
    Set<String> hidden = new TreeSet<>();
    config.forEach(
        (l, rs) -> {
          if (rs.stream().noneMatch(roles::contains)) {
            hidden.add(l);
          }
        });
    return hidden;
  }

  // An example run by jqwik (its generators need a jqwik thread); the tries loop is ours, since
  // each try starts a whole service.
  @Example
  void noHiddenIdInAnyRoutesBytesOrTheStreams() throws Exception {
    int tries = Integer.getInteger("adversary.tries", 1);
    long seed = Long.getLong("adversary.seed", new Random().nextLong());
    Random random = new Random(seed);
    for (int t = 0; t < tries; t++) {
      Map<String, Set<String>> config = layerRoles().generator(100).next(random).value();
      String where = "seed " + seed + ", try " + t + ", LIVING_MAP_LAYER_ROLES=" + encode(config);
      try (VisibilityWorld world = new VisibilityWorld(encode(config), 50)) {
        List<String[]> callers = new ArrayList<>();
        List<Set<String>> callerRoles = new ArrayList<>();
        KEYS.forEach(
            (key, roles) -> {
              callers.add(new String[] {"X-API-Key", key});
              callerRoles.add(roles);
            });
        Set<String> jwtRoles =
            new TreeSet<>(Arbitraries.of(ROLES).set().generator(100).next(random).value());
        jwtRoles.add("living-map:read");
        callers.add(
            new String[] {
              "Authorization",
              "Bearer " + VisibilityWorld.jwt("generated", jwtRoles.toArray(String[]::new))
            });
        callerRoles.add(jwtRoles);
        for (int c = 0; c < callers.size(); c++) {
          Set<String> hidden = hiddenLayers(config, callerRoles.get(c));
          String who = where + ", caller roles " + callerRoles.get(c) + ", hidden " + hidden;
          check(world, callers.get(c), hidden, random, who);
        }
      }
    }
  }

  private static void check(
      VisibilityWorld world, String[] caller, Set<String> hiddenLayers, Random random, String who)
      throws Exception {
    Http http = world.http;
    Set<String> hiddenTypes = new TreeSet<>();
    for (String type : EntityTypes.TYPES) {
      if (hiddenLayers.contains(EntityTypes.layerOf(type))) {
        hiddenTypes.add(type);
      }
    }
    Set<String> hidden = world.hiddenIds(hiddenTypes);
    if (!hiddenTypes.isEmpty()) {
      assertThat(hidden).as(who + ": the oracle has something to look for").isNotEmpty();
    }
    JsonObject snapshot = http.get("/living-map/snapshot", caller).json();
    for (String layer : EntityTypes.LAYERS) {
      assertThat(snapshot.getJsonObject("layers").containsKey(layer))
          .as(who + ": layer " + layer + " present")
          .isEqualTo(!hiddenLayers.contains(layer));
    }
    List<String> paths = new ArrayList<>(VisibilityWorld.ROUTES);
    for (String type : EntityTypes.TYPES) {
      if (!hiddenTypes.contains(type)) {
        for (String id : world.ids(type)) {
          paths.add("/living-map/entities/" + enc(id));
          paths.add("/living-map/history?limit=200&entity_id=" + enc(id));
        }
      }
    }
    paths.add("/living-map/snapshot?at=" + enc(Instant.now().toString()));
    for (String path : paths) {
      Http.Response r = http.get(path, caller);
      assertThat(r.status()).as(who + ": " + path).isLessThan(500);
      assertThat(leaks(r.body(), hidden)).as(who + ": " + path).isEmpty();
    }

    List<String> filters =
        new ArrayList<>(List.of("", "?layers=" + String.join(",", EntityTypes.LAYERS)));
    filters.add(
        "?events="
            + enc(
                Arbitraries.of("node.>", "agent.>", "dao.>", "microdao.>", ">")
                    .generator(10)
                    .next(random)
                    .value()));
    if (!hidden.isEmpty()) {
      filters.add("?entities=" + enc(new ArrayList<>(hidden).get(random.nextInt(hidden.size()))));
    }
    String epoch = http.get("/living-map/snapshot", ADMIN).json().getString("epoch");
    List<VisibilityWorld.Socket> sockets = new ArrayList<>();
    try (VisibilityWorld.Socket admin = world.new Socket("", ADMIN[0], ADMIN[1])) {
      for (String f : filters) {
        sockets.add(world.new Socket(f, caller));
      }
      VisibilityWorld.Socket resume = world.new Socket("?since_seq=1&epoch=" + enc(epoch), caller);
      sockets.add(resume);
      await()
          .atMost(Duration.ofSeconds(30))
          .conditionEvaluationListener(
              c -> {
                if (!c.isSatisfied() && c.getRemainingTimeInMS() <= 1000) {
                  System.err.println(
                      who + "\nadmin: " + admin.seen() + "\nresume: " + resume.seen());
                }
              })
          .until(() -> admin.events() > 100 && VisibilityDoorTest.answered(resume));
      for (VisibilityWorld.Socket s : sockets) {
        assertThat(leaks(String.join("\n", s.raw), hidden)).as(who + ": stream").isEmpty();
      }
    } finally {
      sockets.forEach(VisibilityWorld.Socket::close);
    }
  }
}
