package org.daarion.livingmap.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.simulator.Fault;
import org.daarion.livingmap.simulator.SimulatedNetwork;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 5 against the real service polling its built-in simulator (no simulated events, so only
 * polls change the map): the graph of the default network compared edge by edge with the model, the
 * entities API extras, entity detail with its upstream record (also while the owning service
 * fails), and reconciliation emitting exactly one event per change. The graph runs first, on the
 * network as generated; reconciliation last, since it changes the network.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MapModelTest {
  private Application app;
  private Http http;
  private SimulatedNetwork network;

  @BeforeAll
  void start() {
    app =
        TestApps.start(
            TestApps.config(
                Map.of(
                    "LIVING_MAP_POLL_INTERVAL", "500ms",
                    "LIVING_MAP_UPSTREAM_TIMEOUT", "300ms",
                    "LIVING_MAP_UPSTREAM_POLICY",
                        "attempts=2,backoff=50ms,max_backoff=100ms,breaker_open_for=1s",
                    "LIVING_MAP_SIM_RATE", "0")));
    http = new Http(app.port());
    network = app.simulator().network();
    // Channels come from messages only: one message per simulated channel, as the simulator
    // would publish it, so the graph has every channel of the model.
    network
        .topology()
        .channels()
        .forEach(
            (channel, microdao) ->
                app.bus()
                    .publish(
                        "messaging.message.created",
                        new JsonObject()
                            .put("channel_id", channel)
                            .put("message_id", java.util.UUID.randomUUID().toString())
                            .put("matrix_event_id", "$" + channel + ":daarion.city")
                            .put("sender_id", "user:1")
                            .put("sender_type", "human")
                            .put("microdao_id", microdao)
                            .put("created_at", Instant.now().toString())
                            .toBuffer()
                            .getBytes(),
                        null));
    int expected =
        network.agentIds().size()
            + network.nodeIds().size()
            + network.microdaoIds().size()
            + network.daoSlugs().size()
            + network.topology().channels().size();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonObject sources = http.get("/living-map/sources").json();
              for (UpstreamSource s : UpstreamSource.values()) {
                JsonObject st = sources.getJsonObject(s.serviceName());
                assertThat(st.getString("state")).as(s.serviceName()).isEqualTo("ok");
                assertThat(st.getLong("polls_ok")).isGreaterThanOrEqualTo(2);
              }
              assertThat(facets().getInteger("total")).isEqualTo(expected);
            });
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  @AfterEach
  void clearFaults() {
    app.simulator().faults().clear();
  }

  JsonObject facets() {
    return http.get("/living-map/entities/facets").json();
  }

  // ---------------------------------------------------------------- graph

  /** The edges the model implies, as the map names them: "source|type|target". */
  Set<String> modelEdges() {
    SimulatedNetwork.Topology t = network.topology();
    Set<String> edges = new HashSet<>();
    t.agentMicrodao().forEach((a, m) -> edges.add(a + "|member_of|" + m));
    t.nodeMicrodao().forEach((n, m) -> edges.add(m + "|owns|" + n));
    t.nodePlanet()
        .forEach(
            (n, d) -> {
              if (d != null) {
                edges.add(n + "|orbits|" + d);
              }
            });
    t.daoMicrodao().forEach((d, m) -> edges.add(d + "|governs|" + m));
    t.channels().forEach((c, m) -> edges.add("channel:" + c + "|member_of|" + m));
    return edges;
  }

  static Set<String> edgeIds(JsonObject graph) {
    Set<String> out = new HashSet<>();
    for (Object o : graph.getJsonArray("edges")) {
      JsonObject e = (JsonObject) o;
      String id = e.getString("source") + "|" + e.getString("type") + "|" + e.getString("target");
      assertThat(e.getString("id")).isEqualTo(id);
      out.add(id);
    }
    return out;
  }

  static Map<String, Integer> countByType(Set<String> edges) {
    Map<String, Integer> out = new TreeMap<>();
    for (String e : edges) {
      out.merge(e.split("\\|")[1], 1, Integer::sum);
    }
    return out;
  }

  static Set<String> nodeIds(JsonObject graph) {
    Set<String> out = new HashSet<>();
    graph.getJsonArray("nodes").forEach(o -> out.add(((JsonObject) o).getString("id")));
    return out;
  }

  @Test
  @Order(1)
  void theGraphOfTheDefaultNetworkHasTheModelsEdges() {
    SimulatedNetwork.Topology t = network.topology();
    Set<String> expected = modelEdges();
    Map<String, Integer> expectedCounts = new TreeMap<>();
    expectedCounts.put("member_of", t.agentMicrodao().size() + t.channels().size());
    expectedCounts.put("owns", t.nodeMicrodao().size());
    expectedCounts.put(
        "orbits", (int) t.nodePlanet().values().stream().filter(d -> d != null).count());
    expectedCounts.put("governs", t.daoMicrodao().size());
    assertThat(countByType(expected)).isEqualTo(expectedCounts);

    Http.Response r = http.get("/living-map/graph");
    assertThat(r.status()).isEqualTo(200);
    JsonObject graph = r.json();
    Set<String> actual = edgeIds(graph);
    assertThat(countByType(actual)).as("edge counts per type").isEqualTo(expectedCounts);
    assertThat(actual).as("every edge of the model, no other").isEqualTo(expected);
    assertThat(graph.getJsonArray("nodes")).hasSize(facets().getInteger("total"));
    // Agents of the simulated DAARION do not say where they run (as in DAARION).
    assertThat(actual).noneMatch(e -> e.contains("|runs_on|"));
  }

  @Test
  @Order(2)
  void aRootedGraphIsDepthLimitedAndFiltersApply() {
    String root = "microdao:daarion";
    Set<String> all = modelEdges();
    Set<String> neighbours = new HashSet<>(Set.of(root));
    for (String e : all) {
      String[] p = e.split("\\|");
      if (p[0].equals(root)) {
        neighbours.add(p[2]);
      } else if (p[2].equals(root)) {
        neighbours.add(p[0]);
      }
    }
    Set<String> expectedEdges = new HashSet<>();
    for (String e : all) {
      String[] p = e.split("\\|");
      if (neighbours.contains(p[0]) && neighbours.contains(p[2])) {
        expectedEdges.add(e);
      }
    }
    JsonObject g = http.get("/living-map/graph?root=" + root + "&depth=1").json();
    assertThat(nodeIds(g)).isEqualTo(neighbours);
    assertThat(edgeIds(g)).isEqualTo(expectedEdges);

    JsonObject alone = http.get("/living-map/graph?root=" + root + "&depth=0").json();
    assertThat(nodeIds(alone)).containsExactly(root);
    assertThat(alone.getJsonArray("edges")).isEmpty();

    JsonObject deeper = http.get("/living-map/graph?root=" + root + "&depth=2").json();
    assertThat(nodeIds(deeper)).containsAll(neighbours).hasSizeGreaterThan(neighbours.size());

    // type: the root stays, with its agents only.
    JsonObject agents = http.get("/living-map/graph?root=" + root + "&depth=1&type=agent").json();
    Set<String> daarionAgents = new HashSet<>();
    network
        .topology()
        .agentMicrodao()
        .forEach(
            (a, m) -> {
              if (m.equals(root)) {
                daarionAgents.add(a);
              }
            });
    Set<String> expectedNodes = new HashSet<>(daarionAgents);
    expectedNodes.add(root);
    assertThat(nodeIds(agents)).isEqualTo(expectedNodes);
    assertThat(edgeIds(agents))
        .hasSize(daarionAgents.size())
        .allMatch(e -> e.endsWith("|member_of|" + root));

    // layer without a root: every entity of the layer, no edge leaves it.
    JsonObject nodesLayer = http.get("/living-map/graph?layer=nodes").json();
    assertThat(nodeIds(nodesLayer)).containsExactlyInAnyOrderElementsOf(network.nodeIds());
    assertThat(nodesLayer.getJsonArray("edges")).isEmpty();
    JsonObject space = http.get("/living-map/graph?type=dao").json();
    assertThat(nodeIds(space)).hasSize(network.daoSlugs().size());

    Http.Response tooDeep = http.get("/living-map/graph?root=" + root + "&depth=99");
    assertThat(tooDeep.status()).isEqualTo(400);
    assertThat(tooDeep.json().getString("parameter")).isEqualTo("depth");
    Http.Response badLayer = http.get("/living-map/graph?layer=underworld");
    assertThat(badLayer.status()).isEqualTo(400);
    assertThat(badLayer.json().getString("parameter")).isEqualTo("layer");
    Http.Response badType = http.get("/living-map/graph?type=planet");
    assertThat(badType.status()).isEqualTo(400);
    assertThat(badType.json().getString("parameter")).isEqualTo("type");
    assertThat(http.get("/living-map/graph?root=microdao:atlantis").status()).isEqualTo(404);
  }

  // ---------------------------------------------------------------- entities API

  List<JsonObject> items(String query) {
    Http.Response r = http.get("/living-map/entities" + query);
    assertThat(r.status()).as(query).isEqualTo(200);
    List<JsonObject> out = new ArrayList<>();
    r.json().getJsonArray("items").forEach(o -> out.add((JsonObject) o));
    return out;
  }

  @Test
  @Order(3)
  void searchSortProjectionAndFacets() {
    List<JsonObject> sofia = items("?q=SoFiA");
    assertThat(sofia).extracting(o -> o.getString("id")).contains("agent:sofia");
    assertThat(sofia)
        .allMatch(
            o ->
                o.getString("id").toLowerCase().contains("sofia")
                    || o.getString("label").toLowerCase().contains("sofia"));
    List<JsonObject> gpus = items("?q=gpu-&limit=500");
    assertThat(gpus)
        .extracting(o -> o.getString("id"))
        .containsExactlyInAnyOrderElementsOf(
            network.nodeIds().stream().filter(n -> n.contains("gpu-")).toList());

    List<String> asc = labels(items("?type=agent&sort=label&limit=500"));
    List<String> sorted = new ArrayList<>(asc);
    sorted.sort(null);
    assertThat(asc).hasSize(network.agentIds().size()).isEqualTo(sorted);
    List<String> desc = labels(items("?type=agent&sort=-label&limit=500"));
    assertThat(desc).isEqualTo(reversed(sorted));
    List<String> ids = items("?sort=-id&limit=500").stream().map(o -> o.getString("id")).toList();
    assertThat(ids).isSortedAccordingTo(java.util.Comparator.reverseOrder());

    for (JsonObject o : items("?fields=id,label&limit=20")) {
      assertThat(o.fieldNames()).containsExactlyInAnyOrder("id", "label");
    }
    JsonObject withData = items("?type=dao&fields=id,data,seq&limit=1").get(0);
    assertThat(withData.fieldNames()).containsExactlyInAnyOrder("id", "data", "seq");
    assertThat(withData.getJsonObject("data").getString("id")).isEqualTo(withData.getString("id"));

    JsonObject facets = facets();
    int total = facets.getInteger("total");
    assertThat(http.get("/living-map/entities?limit=1").json().getInteger("total"))
        .isEqualTo(total);
    for (String dim : List.of("type", "layer", "status")) {
      JsonObject counts = facets.getJsonObject(dim);
      int sum = 0;
      for (String value : counts.fieldNames()) {
        int n = counts.getInteger(value);
        sum += n;
        assertThat(
                http.get("/living-map/entities?limit=1&" + dim + "=" + value)
                    .json()
                    .getInteger("total"))
            .as(dim + "=" + value)
            .isEqualTo(n);
      }
      assertThat(sum).as(dim + " counts add up").isEqualTo(total);
    }
    assertThat(facets.getJsonObject("type").getInteger("agent"))
        .isEqualTo(network.agentIds().size());
    assertThat(facets.getJsonObject("type").getInteger("node")).isEqualTo(network.nodeIds().size());
  }

  static List<String> labels(List<JsonObject> items) {
    return items.stream().map(o -> o.getString("label")).toList();
  }

  static List<String> reversed(List<String> l) {
    List<String> out = new ArrayList<>(l);
    java.util.Collections.reverse(out);
    return out;
  }

  @Test
  @Order(4)
  void cursorPagingVisitsEveryEntityExactlyOnce() {
    int total = facets().getInteger("total");
    for (String sort : List.of("id", "-label", "status", "-updated_at")) {
      List<String> seen = new ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        String q =
            "?limit=37&sort="
                + sort
                + (cursor == null
                    ? ""
                    : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        JsonObject page = http.get("/living-map/entities" + q).json();
        page.getJsonArray("items").forEach(o -> seen.add(((JsonObject) o).getString("id")));
        cursor = page.getString("next_cursor");
        assertThat(page.getBoolean("has_more")).isEqualTo(cursor != null);
        pages++;
      } while (cursor != null && pages < 100);
      assertThat(seen).as("sort " + sort + ": no entity twice").doesNotHaveDuplicates();
      assertThat(seen).as("sort " + sort + ": every entity").hasSize(total);
      assertThat(pages).isEqualTo((total + 36) / 37);
    }
  }

  @Test
  @Order(5)
  void badValuesAre400NamingTheParameter() {
    String cursor =
        http.get("/living-map/entities?limit=1&sort=label").json().getString("next_cursor");
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("?sort=colour", "sort");
    cases.put("?sort=-", "sort");
    cases.put("?fields=id,secret", "fields");
    cases.put("?cursor=not-a-cursor!", "cursor");
    cases.put("?cursor=" + cursor, "cursor"); // made for sort=label, asked with sort=id
    cases.put("?sort=label&offset=5&cursor=" + cursor, "cursor");
    cases.put("?limit=0", "limit");
    cases.put("?limit=501", "limit");
    cases.put("?offset=-1", "offset");
    cases.put("?type=planet", "type");
    cases.put("?layer=underworld", "layer");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Http.Response r = http.get("/living-map/entities" + c.getKey());
      assertThat(r.status()).as(c.getKey()).isEqualTo(400);
      assertThat(r.json().getString("parameter")).as(c.getKey()).isEqualTo(c.getValue());
    }
    assertThat(http.get("/living-map/entities/agent:nobody").status()).isEqualTo(404);
  }

  // ---------------------------------------------------------------- entity detail

  @Test
  @Order(6)
  void entityDetailHasRelationsRecentEventsAndTheUpstreamRecord() {
    String agent = "agent:sofia";
    String node = network.nodeIds().get(0);
    String dao = "dao:" + network.daoSlugs().get(0);
    String microdao = "microdao:daarion";
    Map<String, String> owner =
        Map.of(
            agent, "agents-service",
            node, "city-service",
            dao, "dao-service",
            microdao, "microdao-service");
    Set<String> edges = modelEdges();
    for (String id : List.of(agent, node, dao, microdao)) {
      Http.Response r = http.get("/living-map/entities/" + id);
      assertThat(r.status()).as(id).isEqualTo(200);
      JsonObject d = r.json();
      assertThat(d.getString("id")).isEqualTo(id);
      assertThat(d.getJsonObject("data")).isNotNull();
      // relations: exactly the model's edges touching the entity
      Set<String> expected = new HashSet<>();
      for (String e : edges) {
        String[] p = e.split("\\|");
        if (p[0].equals(id)) {
          expected.add("out|" + p[1] + "|" + p[2]);
        } else if (p[2].equals(id)) {
          expected.add("in|" + p[1] + "|" + p[0]);
        }
      }
      Set<String> actual = new HashSet<>();
      for (Object o : d.getJsonArray("relations")) {
        JsonObject rel = (JsonObject) o;
        actual.add(
            rel.getString("direction")
                + "|"
                + rel.getString("type")
                + "|"
                + rel.getString("target"));
      }
      assertThat(actual).as(id + " relations").isEqualTo(expected).isNotEmpty();
      // recent events: this entity's, newest first, at most 20; it was added by a poll
      JsonArray recent = d.getJsonArray("recent_events");
      assertThat(recent).as(id + " recent events").isNotEmpty().hasSizeLessThanOrEqualTo(20);
      for (Object o : recent) {
        assertThat(((JsonObject) o).getString("entity_id")).isEqualTo(id);
      }
      JsonObject up = d.getJsonObject("upstream");
      assertThat(up.getString("source")).as(id).isEqualTo(owner.get(id));
      assertThat(up.getBoolean("stale")).as(id + " upstream " + up.encode()).isFalse();
      assertThat(up.getValue("data")).as(id).isInstanceOf(JsonObject.class);
    }
    JsonObject up = http.get("/living-map/entities/" + dao).json().getJsonObject("upstream");
    assertThat(up.getJsonObject("data").getJsonObject("dao").getString("slug"))
        .isEqualTo(network.daoSlugs().get(0));
    JsonObject agentUp = http.get("/living-map/entities/" + agent).json().getJsonObject("upstream");
    assertThat(agentUp.getJsonObject("data").getString("external_id")).isEqualTo(agent);
  }

  @Test
  @Order(7)
  void entityDetailAnswersPromptlyWhileTheOwningServiceFails() {
    // Entities not asked before, so no cached upstream answer hides the failure.
    List<String> agents = network.agentIds();
    int i = 0;
    for (Fault fault : List.of(Fault.error(500), Fault.slow(Duration.ofSeconds(10)))) {
      app.simulator().faults().set(UpstreamSource.AGENTS, fault);
      app.simulator().faults().set(UpstreamSource.DAO, fault);
      for (String id :
          List.of(agents.get(agents.size() - 1 - i), "dao:" + network.daoSlugs().get(1 + i))) {
        long t0 = System.nanoTime();
        Http.Response r = http.get("/living-map/entities/" + id);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String what = fault.mode().wireName() + " " + id;
        assertThat(r.status()).as(what).isEqualTo(200);
        // One request timeout (300 ms), no retries, at most: never the upstream's 10 s.
        assertThat(ms).as(what + " answered promptly").isLessThan(2_000);
        JsonObject d = r.json();
        assertThat(d.getString("id")).isEqualTo(id);
        assertThat(d.getJsonArray("relations")).isNotEmpty();
        JsonObject up = d.getJsonObject("upstream");
        assertThat(up.getBoolean("stale")).as(what + " " + up.encode()).isTrue();
        assertThat(up.getString("error")).as(what).isNotBlank();
      }
      i++;
    }
  }

  // ---------------------------------------------------------------- reconciliation

  JsonArray history(String eventType, String entityId) {
    Http.Response r =
        http.get(
            "/living-map/history?limit=1000&event_type="
                + URLEncoder.encode(eventType, StandardCharsets.UTF_8)
                + (entityId == null ? "" : "&entity_id=" + entityId));
    assertThat(r.status()).isEqualTo(200);
    return r.json().getJsonArray("items");
  }

  /** How many events of the type history holds (entity events: poll-made changes). */
  long historyTotal(String eventType) {
    Http.Response r =
        http.get(
            "/living-map/history?limit=1&event_type="
                + URLEncoder.encode(eventType, StandardCharsets.UTF_8));
    assertThat(r.status()).isEqualTo(200);
    return r.json().getLong("total");
  }

  long pollsOk(UpstreamSource s) {
    return http.get("/living-map/sources")
        .json()
        .getJsonObject(s.serviceName())
        .getLong("polls_ok");
  }

  /** Waits until every source has finished {@code n} more successful polls. */
  void waitPolls(int n) {
    Map<UpstreamSource, Long> start = new HashMap<>();
    for (UpstreamSource s : UpstreamSource.values()) {
      start.put(s, pollsOk(s));
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              JsonObject now = http.get("/living-map/sources").json();
              for (UpstreamSource s : UpstreamSource.values()) {
                if (now.getJsonObject(s.serviceName()).getLong("polls_ok") < start.get(s) + n) {
                  return false;
                }
              }
              return true;
            });
  }

  @Test
  @Order(8)
  void reconciliationEmitsExactlyOneEventPerChange() {
    waitPolls(2);
    long entityEventsBefore = historyTotal("living_map.entity.>");
    assertThat(entityEventsBefore).as("the first polls added the map").isPositive();
    waitPolls(3);
    assertThat(historyTotal("living_map.entity.>"))
        .as("unchanged polls emit nothing")
        .isEqualTo(entityEventsBefore);

    // Removal: an agent and a node leave upstream; two polls later they leave the map, once.
    String agent = network.agentIds().get(network.agentIds().size() - 1);
    String node = network.nodeIds().get(network.nodeIds().size() - 1);
    assertThat(http.get("/living-map/entities/" + agent).status()).isEqualTo(200);
    assertThat(http.get("/living-map/entities/" + node).status()).isEqualTo(200);
    long agentPolls = pollsOk(UpstreamSource.AGENTS);
    assertThat(network.removeAgent(agent)).isTrue();
    assertThat(network.removeNode(node)).isTrue();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> history("living_map.entity.removed", agent).size() == 1);
    assertThat(pollsOk(UpstreamSource.AGENTS) - agentPolls)
        .as("removed only after two polls missed it")
        .isGreaterThanOrEqualTo(2);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> history("living_map.entity.removed", node).size() == 1);
    assertThat(http.get("/living-map/entities/" + agent).status()).isEqualTo(404);
    assertThat(http.get("/living-map/entities/" + node).status()).isEqualTo(404);

    // Addition: one added event each.
    String newAgent = network.addAgent("newcomer", "assistant", "microdao:daarion");
    String newNode = network.addNode("gpu-99", true, "daarion", network.daoSlugs().get(0));
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                history("living_map.entity.added", newAgent).size() == 1
                    && history("living_map.entity.added", newNode).size() == 1);
    JsonObject added = history("living_map.entity.added", newAgent).getJsonObject(0);
    assertThat(added.getJsonObject("payload").getJsonObject("entity").getString("id"))
        .isEqualTo(newAgent);
    JsonArray agentItems =
        http.get("/living-map/snapshot")
            .json()
            .getJsonObject("layers")
            .getJsonObject("agents")
            .getJsonArray("items");
    assertThat(
            agentItems.stream()
                .map(o -> (JsonObject) o)
                .filter(o -> newAgent.equals(o.getString("id")))
                .map(o -> o.getString("microdao_id")))
        .containsExactly("microdao:daarion");
    // The node's microDAO comes from city-service, whose poll may come later in the interval
    // than the one that added the node (the sources' polls are spread).
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () ->
                assertThat(
                        http.get("/living-map/entities/" + newNode)
                            .json()
                            .getJsonArray("relations")
                            .encode())
                    .contains("microdao:daarion"));

    // Update: a rename upstream is one updated event carrying the new name.
    waitPolls(2);
    String microdao = "microdao:" + network.microdaoIds().get(3).substring(9);
    Instant renamedAt = Instant.now();
    assertThat(network.renameMicrodao(microdao, "Renamed Guild")).isTrue();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                history("living_map.entity.updated", microdao).stream()
                    .map(o -> (JsonObject) o)
                    .anyMatch(e -> Instant.parse(e.getString("timestamp")).isAfter(renamedAt)));

    // Then nothing more, however many polls follow: every change exactly once.
    waitPolls(3);
    assertThat(history("living_map.entity.removed", agent)).hasSize(1);
    assertThat(history("living_map.entity.removed", node)).hasSize(1);
    assertThat(history("living_map.entity.added", newAgent)).hasSize(1);
    assertThat(history("living_map.entity.added", newNode)).hasSize(1);
    List<JsonObject> renames = new ArrayList<>();
    for (Object o : history("living_map.entity.updated", microdao)) {
      JsonObject e = (JsonObject) o;
      if (Instant.parse(e.getString("timestamp")).isAfter(renamedAt)) {
        renames.add(e);
      }
    }
    assertThat(renames).as("one updated event for the rename").hasSize(1);
    JsonObject changes = renames.get(0).getJsonObject("payload").getJsonObject("changes");
    assertThat(changes.getString("name")).isEqualTo("Renamed Guild");
    assertThat(changes.fieldNames()).as("only what changed").containsExactly("name");
    long settled = historyTotal("living_map.entity.>");
    waitPolls(3);
    assertThat(historyTotal("living_map.entity.>"))
        .as("unchanged polls emit nothing")
        .isEqualTo(settled);
  }
}
