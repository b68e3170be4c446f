package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The snapshot as it was built before {@link SnapshotEncoder}: one JSON tree, every entity copied.
 * Kept as the oracle that the encoder's bytes are checked against.
 */
final class ReferenceSnapshotBuilder {
  private ReferenceSnapshotBuilder() {}

  /**
   * @param meta extra fields for {@code meta} (service version, source states); the builder adds
   *     {@code generated_at}, {@code seq}, {@code epoch} and {@code state_version}
   */
  static JsonObject build(StateCut cut, JsonObject meta) {
    List<Entity> sorted = new ArrayList<>(cut.entities());
    sorted.sort(Comparator.comparing(Entity::id));
    Map<String, List<Entity>> byType = new HashMap<>();
    for (Entity e : sorted) {
      byType.computeIfAbsent(e.type(), k -> new ArrayList<>()).add(e);
    }
    List<Entity> microdaos = byType.getOrDefault("microdao", List.of());
    List<Entity> daos = byType.getOrDefault("dao", List.of());
    List<Entity> nodes = byType.getOrDefault("node", List.of());
    List<Entity> agents = byType.getOrDefault("agent", List.of());
    List<Entity> channels = byType.getOrDefault("channel", List.of());

    Map<String, Integer> agentsPerMicrodao = new HashMap<>();
    Map<String, Integer> nodesPerMicrodao = new HashMap<>();
    JsonArray agentItems = new JsonArray();
    int online = 0;
    long llmCalls = 0;
    for (Entity a : agents) {
      JsonObject d = withResolvedMicrodao(a.data(), cut);
      String m = d.getString("microdao_id");
      if (m != null) {
        agentsPerMicrodao.merge(m, 1, Integer::sum);
      }
      if ("online".equals(d.getString("status"))) {
        online++;
      }
      JsonObject usage = d.getJsonObject("usage");
      if (usage != null && usage.getValue("llm_calls_24h") instanceof Number n) {
        llmCalls += n.longValue();
      }
      agentItems.add(d);
    }
    JsonArray nodeItems = new JsonArray();
    JsonArray spaceNodes = new JsonArray();
    double totalCpu = 0;
    double totalGpu = 0;
    double totalRam = 0;
    int unhealthy = 0;
    for (Entity n : nodes) {
      JsonObject d = withResolvedMicrodao(n.data(), cut);
      String m = d.getString("microdao_id");
      if (m != null) {
        nodesPerMicrodao.merge(m, 1, Integer::sum);
      }
      JsonObject metrics = d.getJsonObject("metrics", new JsonObject());
      double cpu = metrics.getDouble("cpu", 0.0);
      double gpu = metrics.getDouble("gpu", 0.0);
      double ram = metrics.getDouble("ram", 0.0);
      totalCpu += cpu;
      totalGpu += gpu;
      totalRam += ram;
      if (!"online".equals(d.getString("status"))) {
        unhealthy++;
      }
      nodeItems.add(d);
      spaceNodes.add(
          new JsonObject()
              .put("id", d.getString("id"))
              .put("name", d.getString("name"))
              .put("status", d.getString("status"))
              .put("cpu", cpu)
              .put("gpu", gpu)
              .put("memory", ram)
              .put("alerts", d.getJsonArray("alerts", new JsonArray())));
    }
    JsonArray cityItems = new JsonArray();
    long activeUsers = 0;
    for (Entity m : microdaos) {
      JsonObject d = m.data().copy();
      Integer a = agentsPerMicrodao.get(m.id());
      if (a != null) {
        d.put("agents", a);
      }
      Integer n = nodesPerMicrodao.get(m.id());
      if (n != null) {
        d.put("nodes", n);
      }
      if (!"inactive".equals(d.getString("status")) && d.getValue("members") instanceof Number mm) {
        activeUsers += mm.longValue();
      }
      cityItems.add(d);
    }
    JsonArray channelItems = new JsonArray();
    for (Entity c : channels) {
      channelItems.add(withResolvedMicrodao(c.data(), cut));
    }
    JsonArray planets = new JsonArray();
    for (Entity p : daos) {
      JsonObject d = withResolvedMicrodao(p.data(), cut);
      JsonArray orbits = new JsonArray();
      for (Object o : d.getJsonArray("orbits", new JsonArray())) {
        if (o != null) {
          orbits.add(cut.resolve("node", o.toString()));
        }
      }
      d.put("orbits", orbits);
      planets.add(d);
    }
    String health =
        nodes.isEmpty()
            ? "green"
            : unhealthy * 10 < nodes.size()
                ? "green"
                : unhealthy * 10 < nodes.size() * 3 ? "yellow" : "red";
    String generatedAt = cut.at().toString();
    JsonObject layers =
        new JsonObject()
            .put(
                "city",
                new JsonObject()
                    .put("microdaos_total", microdaos.size())
                    .put("active_users", activeUsers)
                    .put("active_agents", online)
                    .put("health", health)
                    .put("items", cityItems)
                    .put("channels", channelItems))
            .put("space", new JsonObject().put("planets", planets).put("nodes", spaceNodes))
            .put(
                "nodes",
                new JsonObject()
                    .put("items", nodeItems)
                    .put("total_cpu", round(totalCpu))
                    .put("total_gpu", round(totalGpu))
                    .put("total_ram", round(totalRam)))
            .put(
                "agents",
                new JsonObject()
                    .put("items", agentItems)
                    .put("total_agents", agents.size())
                    .put("online_agents", online)
                    .put("total_llm_calls_24h", llmCalls));
    JsonObject m = meta.copy();
    if (!m.containsKey("source_services")) {
      m.put("source_services", new JsonArray());
    }
    if (!m.containsKey("version")) {
      m.put("version", "unknown");
    }
    m.put("generated_at", generatedAt)
        .put("seq", cut.seq())
        .put("epoch", cut.epoch())
        .put("state_version", cut.version())
        .put("entities_total", sorted.size());
    return new JsonObject()
        .put("generated_at", generatedAt)
        .put("seq", cut.seq())
        .put("epoch", cut.epoch())
        .put("layers", layers)
        .put("meta", m);
  }

  private static JsonObject withResolvedMicrodao(JsonObject data, StateCut cut) {
    JsonObject d = data.copy();
    Object ref = d.getValue("microdao_id");
    if (ref instanceof String s) {
      d.put("microdao_id", cut.resolve("microdao", s));
    }
    return d;
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
