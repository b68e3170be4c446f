package org.daarion.livingmap.visibility;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.daarion.livingmap.visibility.VisibilityWorld.ADMIN;
import static org.daarion.livingmap.visibility.VisibilityWorld.OPS;
import static org.daarion.livingmap.visibility.VisibilityWorld.READER;
import static org.daarion.livingmap.visibility.VisibilityWorld.enc;
import static org.daarion.livingmap.visibility.VisibilityWorld.leaks;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.daarion.livingmap.testing.Http;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 13, finding 1, reproduced as reported: with {@code
 * nodes=living-map:ops,agents=living-map:ops} a plain reader (API key or read-only JWT) sees no
 * node or agent, nor any reference to one, in any route's body, at any instant, or on the stream
 * (snapshot, live events whatever it asks for, resume replay); a caller with the role sees them (so
 * the oracle is not vacuous).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VisibilityDoorTest {
  private VisibilityWorld world;
  private Http http;
  private Set<String> hidden;

  @BeforeAll
  void start() throws Exception {
    world = new VisibilityWorld("nodes=living-map:ops,agents=living-map:ops");
    http = world.http;
    hidden = world.hiddenIds(Set.of("node", "agent"));
  }

  @AfterAll
  void stop() {
    world.close();
  }

  @Test
  void theOracleSeesHiddenEntitiesThroughAdminsEyes() {
    assertThat(hidden).hasSizeGreaterThanOrEqualTo(18);
    assertThat(leaks(http.get("/living-map/snapshot", ADMIN).body(), hidden)).isNotEmpty();
    assertThat(leaks(http.get("/living-map/snapshot", OPS).body(), hidden)).isNotEmpty();
    // DAO detail pages name nodes in orbits and relations: what a reader must not be told.
    List<String> daoLeaks = new ArrayList<>();
    for (String dao : world.ids("dao")) {
      daoLeaks.addAll(leaks(http.get("/living-map/entities/" + enc(dao), ADMIN).body(), hidden));
    }
    assertThat(daoLeaks).isNotEmpty();
    assertThat(leaks(http.get("/living-map/history?limit=1000", ADMIN).body(), hidden))
        .isNotEmpty();
  }

  @Test
  void everyRouteAnswersAReaderWithoutHiddenIds() throws Exception {
    String jwt = VisibilityWorld.jwt("reader-jwt", "living-map:read");
    List<String> paths = new ArrayList<>(VisibilityWorld.ROUTES);
    for (String type : List.of("dao", "microdao", "channel")) {
      for (String id : world.ids(type)) {
        paths.add("/living-map/entities/" + enc(id));
        paths.add("/living-map/history?limit=500&entity_id=" + enc(id));
      }
    }
    paths.add("/living-map/snapshot?at=" + enc(Instant.now().toString()));
    for (String path : paths) {
      for (String[] caller : List.of(READER, new String[] {"Authorization", "Bearer " + jwt})) {
        Http.Response r = http.get(path, caller);
        assertThat(r.status()).as(path).isLessThan(500);
        assertThat(leaks(r.body(), hidden)).as(path + " -> " + r.status()).isEmpty();
      }
    }
  }

  @Test
  void snapshotsNowAndInThePastLeaveTheHiddenLayersOut() {
    JsonObject now = http.get("/living-map/snapshot", READER).json();
    assertThat(now.getJsonObject("layers").fieldNames()).containsExactlyInAnyOrder("city", "space");
    assertThat(now.getJsonObject("meta").getJsonArray("hidden_layers").getList())
        .containsExactly("agents", "nodes");
    assertThat(now.getJsonObject("layers").getJsonObject("space").getJsonArray("nodes")).isEmpty();

    Http.Response past =
        http.get("/living-map/snapshot?at=" + enc(Instant.now().toString()), READER);
    assertThat(past.status()).isEqualTo(200);
    assertThat(past.json().getJsonObject("layers").fieldNames())
        .containsExactlyInAnyOrder("city", "space");
    assertThat(leaks(past.body(), hidden)).isEmpty();
    // The ops role still travels in time with everything.
    assertThat(
            http.get("/living-map/snapshot?at=" + enc(Instant.now().toString()), OPS)
                .json()
                .getJsonObject("layers")
                .fieldNames())
        .contains("nodes", "agents");
  }

  @Test
  void hiddenEntitiesAreNotFoundByAReader() {
    String node = hidden.stream().filter(h -> h.startsWith("node:")).findFirst().orElseThrow();
    assertThat(http.get("/living-map/entities/" + enc(node), READER).status()).isEqualTo(404);
    assertThat(http.get("/living-map/entities/" + enc(node), OPS).status()).isEqualTo(200);
  }

  @Test
  void theStreamSendsAReaderNothingHiddenWhateverItAsksFor() throws Exception {
    String jwt = VisibilityWorld.jwt("reader-jwt", "living-map:read");
    String node = hidden.stream().filter(h -> h.startsWith("node:")).findFirst().orElseThrow();
    List<VisibilityWorld.Socket> readers = new ArrayList<>();
    try (VisibilityWorld.Socket ops = world.new Socket("", OPS[0], OPS[1])) {
      readers.add(world.new Socket("?access_token=" + jwt));
      readers.add(world.new Socket("?layers=nodes", READER[0], READER[1]));
      readers.add(world.new Socket("?events=" + enc("node.metrics.>"), READER[0], READER[1]));
      readers.add(world.new Socket("?entities=" + enc(node), READER[0], READER[1]));
      readers.add(world.new Socket("", READER[0], READER[1]));
      // Until the ops socket has seen plenty of node and agent events, and readers their share.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  ops.kind("event").stream()
                              .filter(f -> f.getString("entity_id", "").startsWith("node:"))
                              .count()
                          > 20
                      && readers.get(0).events() > 5
                      && readers.get(4).events() > 5);
      assertThat(leaks(String.join("\n", ops.raw), hidden)).isNotEmpty();
      for (VisibilityWorld.Socket r : readers) {
        assertThat(r.kind("snapshot")).hasSize(1);
        assertThat(
                r.kind("snapshot")
                    .get(0)
                    .getJsonObject("data")
                    .getJsonObject("layers")
                    .fieldNames())
            .doesNotContain("nodes", "agents");
        assertThat(leaks(String.join("\n", r.raw), hidden)).isEmpty();
      }
      assertThat(readers.get(1).events()).isZero();
      assertThat(readers.get(2).events()).isZero();
      assertThat(readers.get(3).events()).isZero();
    } finally {
      readers.forEach(VisibilityWorld.Socket::close);
    }
  }

  @Test
  void aResumeFromTheStartReplaysNothingHidden() throws Exception {
    String epoch = http.get("/living-map/snapshot", ADMIN).json().getString("epoch");
    String query = "?since_seq=1&epoch=" + enc(epoch);
    try (VisibilityWorld.Socket ops = world.new Socket(query, OPS[0], OPS[1]);
        VisibilityWorld.Socket reader = world.new Socket(query, READER[0], READER[1])) {
      // A resume the server can serve is replayed; one whose history is still being written gets
      // a resync snapshot instead (never a gap). Either way the reader's bytes hide what it may not
      // see. Seen once in CI under load: both sockets got the resync.
      // A replay from seq 1 is thousands of events read from history and filtered per socket: on
      // a loaded CI machine that took more than 30 s once.
      await()
          .atMost(Duration.ofSeconds(90))
          .conditionEvaluationListener(
              c -> {
                if (!c.isSatisfied() && c.getRemainingTimeInMS() <= 1000) {
                  System.err.println("ops: " + ops.seen() + "\nreader: " + reader.seen());
                }
              })
          .alias("both resumes answered (replayed or resync)")
          .until(() -> answered(ops) && answered(reader));
      assertThat(leaks(String.join("\n", ops.raw), hidden)).isNotEmpty();
      if (!ops.kind("resumed").isEmpty()) {
        assertThat(ops.kind("resumed").get(0).getInteger("replayed")).isGreaterThan(100);
      }
      if (!reader.kind("resumed").isEmpty()) {
        assertThat(reader.kind("resumed").get(0).getInteger("replayed")).isPositive();
      }
      assertThat(leaks(String.join("\n", reader.raw), hidden)).isEmpty();
    }
  }

  /**
   * The socket's resume was answered: replayed, or a resync snapshot. (Waiting for live events
   * after a resync as well timed out in CI: the world publishes nothing more once it is built.)
   */
  static boolean answered(VisibilityWorld.Socket s) {
    return !s.kind("resumed").isEmpty()
        || s.kind("snapshot").stream().anyMatch(f -> "resync".equals(f.getString("reason")));
  }
}
