package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The relations between entities of one {@link StateCut}, derived from their fields, and the graph
 * they make. Pure: the same cut gives the same relations in the same order. Build once per cut with
 * {@link #of(StateCut)} (linear in the number of entities) and ask it many times, or use the static
 * helpers for a single question.
 *
 * <p>Edges, each stored once in its own direction ({@code source --type--> target}):
 *
 * <ul>
 *   <li>{@code agent --member_of--> microdao} (the agent's {@code microdao_id});
 *   <li>{@code agent --runs_on--> node} (the agent's {@code node_id}, in its data or extra, where a
 *       source gives one);
 *   <li>{@code microdao --owns--> node} (the node's {@code microdao_id});
 *   <li>{@code node --orbits--> dao} (the DAO planet's {@code orbits});
 *   <li>{@code dao --governs--> microdao} (the DAO's {@code microdao_id});
 *   <li>{@code channel --member_of--> microdao} (the channel's {@code microdao_id}).
 * </ul>
 *
 * References may be raw upstream ids (UUIDs, slugs): they are resolved with {@link
 * StateCut#resolve}. A reference to an entity the cut does not hold makes no edge, so a graph never
 * has an edge to a missing node.
 */
public final class Relations {
  /** One relation. */
  public record Edge(String source, String target, String type) {
    public String id() {
      return source + "|" + type + "|" + target;
    }

    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id())
          .put("source", source)
          .put("target", target)
          .put("type", type);
    }
  }

  /** The name of each edge type read from its target's side. */
  private static final Map<String, String> INVERSE =
      Map.of(
          "member_of", "has_member",
          "runs_on", "runs",
          "owns", "owned_by",
          "orbits", "orbited_by",
          "governs", "governed_by");

  /** Depth of a graph around a root when none is asked for. */
  public static final int DEFAULT_DEPTH = 2;

  private final StateCut cut;
  private final Map<String, Entity> byId = new HashMap<>();
  private final List<Edge> edges;
  private final Map<String, List<Edge>> touching = new HashMap<>();

  private Relations(StateCut cut) {
    this.cut = cut;
    for (Entity e : cut.entities()) {
      byId.put(e.id(), e);
    }
    Set<Edge> found = new LinkedHashSet<>();
    List<Entity> sorted = new ArrayList<>(cut.entities());
    sorted.sort(Comparator.comparing(Entity::id));
    for (Entity e : sorted) {
      JsonObject d = e.data();
      switch (e.type()) {
        case "agent" -> {
          add(found, e.id(), ref("microdao", d.getValue("microdao_id")), "member_of");
          Object node = d.getValue("node_id");
          if (node == null) {
            node = e.extra().getValue("node_id");
          }
          if (node == null) {
            node = e.extra().getValue("node");
          }
          add(found, e.id(), ref("node", node), "runs_on");
        }
        case "node" -> add(found, ref("microdao", d.getValue("microdao_id")), e.id(), "owns");
        case "dao" -> {
          add(found, e.id(), ref("microdao", d.getValue("microdao_id")), "governs");
          if (d.getValue("orbits") instanceof JsonArray orbits) {
            for (Object o : orbits) {
              add(found, ref("node", o), e.id(), "orbits");
            }
          }
        }
        case "channel" ->
            add(found, e.id(), ref("microdao", d.getValue("microdao_id")), "member_of");
        default -> {}
      }
    }
    this.edges = List.copyOf(found);
    for (Edge edge : edges) {
      touching.computeIfAbsent(edge.source(), k -> new ArrayList<>()).add(edge);
      touching.computeIfAbsent(edge.target(), k -> new ArrayList<>()).add(edge);
    }
  }

  public static Relations of(StateCut cut) {
    return new Relations(cut);
  }

  /** {@link #relationsOf(String)} of a fresh index. */
  public static JsonArray relationsOf(StateCut cut, String id) {
    return of(cut).relationsOf(id);
  }

  /** {@link #graph(String, Integer, String, String)} of a fresh index. */
  public static JsonObject graph(
      StateCut cut, String root, Integer depth, String layer, String type) {
    return of(cut).graph(root, depth, layer, type);
  }

  /** Every edge, in a stable order. */
  public List<Edge> edges() {
    return edges;
  }

  /** The canonical id of {@code id} (itself, or the entity an alias names), or null if unknown. */
  public String canonical(String id) {
    if (id == null) {
      return null;
    }
    if (byId.containsKey(id)) {
      return id;
    }
    String viaAlias = cut.aliases().get(id);
    if (viaAlias != null && byId.containsKey(viaAlias)) {
      return viaAlias;
    }
    if (id.indexOf(':') < 0) {
      for (String type : EntityTypes.TYPES) {
        String typed = cut.aliases().get(type + ":" + id);
        if (typed != null && byId.containsKey(typed)) {
          return typed;
        }
      }
    }
    int colon = id.indexOf(':');
    if (colon > 0) {
      String resolved = cut.resolve(id.substring(0, colon), id);
      if (byId.containsKey(resolved)) {
        return resolved;
      }
    }
    return null;
  }

  /**
   * The relations of one entity: {@code [{type, relation, target, target_type, direction}]}, where
   * {@code type} is the edge's type, {@code direction} is {@code out} when the entity is the edge's
   * source and {@code in} when it is its target, and {@code relation} reads the edge from the
   * entity's side ({@code member_of} out, {@code has_member} in). Empty for an unknown id.
   */
  public JsonArray relationsOf(String id) {
    JsonArray out = new JsonArray();
    String canonical = canonical(id);
    if (canonical == null) {
      return out;
    }
    for (Edge e : touching.getOrDefault(canonical, List.of())) {
      boolean outgoing = e.source().equals(canonical);
      String other = outgoing ? e.target() : e.source();
      out.add(
          new JsonObject()
              .put("type", e.type())
              .put("relation", outgoing ? e.type() : INVERSE.getOrDefault(e.type(), e.type()))
              .put("target", other)
              .put("target_type", byId.get(other).type())
              .put("direction", outgoing ? "out" : "in"));
    }
    return out;
  }

  /**
   * The graph as {@code {nodes:[{id,type,layer,label,status}], edges:[{id,source,target,type}]}}
   * (vis-network draws it as is; Cytoscape after wrapping each element in {@code data}).
   *
   * <p>With a {@code root}: the entities within {@code depth} edges of it (edges followed both
   * ways; {@link #DEFAULT_DEPTH} when null, 0 is the root alone); without: every entity. Then
   * {@code layer} and {@code type}, when given, keep only matching entities (the root always
   * stays), and only edges between kept entities remain. An unknown root gives an empty graph.
   * Nodes and edges are sorted by id.
   */
  public JsonObject graph(String root, Integer depth, String layer, String type) {
    Set<String> reached;
    String start = null;
    if (root != null && !root.isBlank()) {
      start = canonical(root);
      if (start == null) {
        return new JsonObject().put("nodes", new JsonArray()).put("edges", new JsonArray());
      }
      int max = depth == null ? DEFAULT_DEPTH : Math.max(0, depth);
      reached = new LinkedHashSet<>();
      reached.add(start);
      Deque<String> frontier = new ArrayDeque<>();
      frontier.add(start);
      for (int d = 0; d < max && !frontier.isEmpty(); d++) {
        Deque<String> next = new ArrayDeque<>();
        for (String id : frontier) {
          for (Edge e : touching.getOrDefault(id, List.of())) {
            String other = e.source().equals(id) ? e.target() : e.source();
            if (reached.add(other)) {
              next.add(other);
            }
          }
        }
        frontier = next;
      }
    } else {
      reached = byId.keySet();
    }
    Map<String, Entity> kept = new TreeMap<>();
    for (String id : reached) {
      Entity e = byId.get(id);
      boolean match =
          (layer == null || layer.equals(e.layer())) && (type == null || type.equals(e.type()));
      if (match || id.equals(start)) {
        kept.put(id, e);
      }
    }
    JsonArray nodes = new JsonArray();
    for (Entity e : kept.values()) {
      nodes.add(
          new JsonObject()
              .put("id", e.id())
              .put("type", e.type())
              .put("layer", e.layer())
              .put("label", e.label())
              .put("status", e.status()));
    }
    List<Edge> keptEdges = new ArrayList<>();
    for (Edge e : edges) {
      if (kept.containsKey(e.source()) && kept.containsKey(e.target())) {
        keptEdges.add(e);
      }
    }
    keptEdges.sort(Comparator.comparing(Edge::id));
    JsonArray edgeJson = new JsonArray();
    keptEdges.forEach(e -> edgeJson.add(e.toJson()));
    return new JsonObject().put("nodes", nodes).put("edges", edgeJson);
  }

  private String ref(String type, Object raw) {
    if (!(raw instanceof String s) || s.isBlank()) {
      return null;
    }
    String id = cut.resolve(type, s);
    Entity e = byId.get(id);
    return e != null && e.type().equals(type) ? id : null;
  }

  private void add(Set<Edge> found, String source, String target, String type) {
    if (source != null && target != null && !source.equals(target)) {
      found.add(new Edge(source, target, type));
    }
  }
}
