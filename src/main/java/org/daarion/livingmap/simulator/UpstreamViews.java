package org.daarion.livingmap.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.simulator.SimEntities.Agent;
import org.daarion.livingmap.simulator.SimEntities.CityEvent;
import org.daarion.livingmap.simulator.SimEntities.Dao;
import org.daarion.livingmap.simulator.SimEntities.Microdao;
import org.daarion.livingmap.simulator.SimEntities.ModelUsage;
import org.daarion.livingmap.simulator.SimEntities.Node;
import org.daarion.livingmap.simulator.SimEntities.SpaceEvent;
import org.daarion.livingmap.simulator.SimEntities.ToolUsage;

/**
 * Renders the model as DAARION's upstream services answer, field for field and type for type as the
 * fixtures in {@code src/test/resources/fixtures/upstream/}. Every method must be called with the
 * network's lock held (see {@link SimulatedNetwork#locked}).
 */
final class UpstreamViews {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final SimulatedNetwork net;

  UpstreamViews(SimulatedNetwork net) {
    this.net = net;
  }

  // ---- city-service ----

  /** {@code GET /api/city/snapshot}: camelCase. */
  ObjectNode citySnapshot() {
    Index idx = new Index(net);
    Microdao home = net.findMicrodao("daarion");
    if (home == null && !net.microdaos.isEmpty()) {
      home = net.microdaos.get(0);
    }
    ObjectNode root = F.objectNode();
    ObjectNode user = root.putObject("user");
    user.put("id", "user:93");
    user.put("handle", "@alice:daarion.city");
    user.put("archetype", "Explorer");
    user.put("microdaoId", home == null ? null : home.externalId());

    if (home == null) {
      root.putNull("microdao");
    } else {
      int agents = idx.agentsOf(home).size();
      ObjectNode m = root.putObject("microdao");
      m.put("id", home.externalId());
      m.put("name", home.name);
      m.put("members", home.members.size() + agents);
      m.put("humans", home.members.size());
      m.put("agents", agents);
      m.put("balanceDcr", home.treasury.getOrDefault("DAARION", BigDecimal.ZERO).doubleValue());
      m.put("activity24h", home.activity);
    }

    ObjectNode metrics = root.putObject("metrics");
    double activity = net.microdaos.stream().mapToDouble(m -> m.activity).average().orElse(0);
    double latency = net.nodes.stream().mapToDouble(n -> n.latency).average().orElse(0);
    double load =
        net.nodes.stream()
            .filter(n -> n.online)
            .mapToDouble(UpstreamViews::load)
            .average()
            .orElse(0);
    long calls = net.agents.stream().mapToLong(a -> a.usage.llmCalls).sum();
    metrics.put("activityIndex", Names.round(activity, 2));
    metrics.put("avgAgentLatencyMs", Names.round(latency, 1));
    metrics.put("natsTps", Math.round(net.eventsPerSecond));
    metrics.put("nodeAvgLoad", Names.round(load, 2));
    metrics.put("errorRate", calls == 0 ? 0.0 : Names.round((double) net.llmFailed / calls, 3));
    metrics.put("questEngagement", 0.62);

    ArrayNode nodes = root.putArray("nodes");
    for (Node n : net.nodes) {
      ObjectNode o = nodes.addObject();
      o.put("id", n.id());
      o.put("label", n.label);
      o.put("gpuLoad", n.gpu);
      o.put("latencyMs", n.latency);
      o.put("agents", idx.agentsOn(n));
      String s = n.spaceStatus();
      o.put("status", s.equals("healthy") ? "healthy" : s.equals("degraded") ? "warn" : "critical");
    }

    ArrayNode agents = root.putArray("agents");
    for (Agent a : net.agents) {
      if (!a.active) {
        continue;
      }
      ObjectNode o = agents.addObject();
      o.put("id", a.externalId());
      o.put("name", a.displayName);
      o.put("role", SimulatedNetwork.capitalize(a.kind));
      o.put("status", a.status);
      o.put("lastAction", a.lastAction);
    }

    ArrayNode quests = root.putArray("quests");
    quest(quests, "q1", "Visit Space Map", 0.4);
    quest(quests, "q2", "Vote in DAO proposal", 0.0);
    quest(quests, "q3", "Meet an agent", 0.75);

    ArrayNode events = root.putArray("events");
    for (CityEvent e : net.cityEvents) {
      ObjectNode o = events.addObject();
      o.put("id", e.id());
      o.put("type", e.type());
      o.put("label", e.label());
      o.put("timestamp", e.timestamp());
      o.put("severity", e.severity());
    }
    return root;
  }

  private static void quest(ArrayNode quests, String id, String label, double progress) {
    ObjectNode q = quests.addObject();
    q.put("id", id);
    q.put("label", label);
    q.put("progress", progress);
  }

  /** {@code GET /city/microdao}: MicrodaoSummary list, by name. */
  ArrayNode cityMicrodaos() {
    Index idx = new Index(net);
    ArrayNode out = F.arrayNode();
    List<Microdao> sorted = new ArrayList<>(net.microdaos);
    sorted.sort(Comparator.comparing((Microdao m) -> m.name).thenComparing(m -> m.slug));
    for (Microdao m : sorted) {
      List<Agent> agents = idx.agentsOf(m);
      Agent orchestrator =
          agents.stream().filter(a -> a.kind.equals("orchestrator")).findFirst().orElse(null);
      int channels = idx.channels.getOrDefault(m, 0);
      ObjectNode o = out.addObject();
      o.put("id", "dao_" + m.slug.replace('-', '_'));
      o.put("slug", m.slug);
      o.put("name", m.name);
      o.put("description", m.description);
      o.put("district", m.district);
      o.put("is_public", true);
      o.put("is_platform", false);
      o.put("is_active", m.active);
      o.put("orchestrator_agent_id", orchestrator == null ? null : orchestrator.name);
      o.put("orchestrator_agent_name", orchestrator == null ? null : orchestrator.displayName);
      o.putNull("parent_microdao_id");
      o.putNull("parent_microdao_slug");
      o.put("logo_url", "/assets/logos/" + m.slug + ".png");
      o.putNull("banner_url");
      o.put("member_count", m.members.size());
      o.put("agents_count", agents.size());
      o.put("room_count", channels);
      o.put("rooms_count", channels);
      o.put("channels_count", channels);
    }
    return out;
  }

  /** {@code GET /public/nodes}: {@code {items: NodeProfile[], total}}. */
  ObjectNode publicNodes() {
    Index idx = new Index(net);
    ObjectNode root = F.objectNode();
    ArrayNode items = root.putArray("items");
    for (Node n : net.nodes) {
      ObjectNode o = items.addObject();
      o.put("node_id", n.id());
      o.put("name", n.label);
      o.put("hostname", n.hostname);
      ArrayNode roles = o.putArray("roles");
      roles.add("agents");
      if (n.gpuNode) {
        roles.add("gpu");
        roles.add("ai_runtime");
      } else {
        roles.add("gateway");
      }
      o.put("environment", n.environment);
      o.put("status", n.online ? "online" : "offline");
      o.put(
          "gpu_info",
          n.gpuModel == null
              ? null
              : "{\"name\": \"" + n.gpuModel + "\", \"vram_gb\": " + (int) n.vramTotal + "}");
      o.put("agents_total", idx.agentsOn(n));
      o.put("agents_online", idx.onlineOn(n));
      o.put("last_heartbeat", Names.spaced(n.lastSeen));
      o.putNull("guardian_agent_id");
      o.putNull("steward_agent_id");
      o.putNull("guardian_agent");
      o.putNull("steward_agent");
      o.putArray("microdaos");
    }
    root.put("total", net.nodes.size());
    return root;
  }

  // ---- space-service ----

  /** {@code GET /space/planets}: one planet per DAO, its satellites the nodes orbiting it. */
  ArrayNode planets() {
    Index idx = new Index(net);
    ArrayNode out = F.arrayNode();
    for (Dao d : net.daos) {
      List<Node> sats = idx.satellites.getOrDefault(d, List.of());
      double avg = sats.stream().mapToDouble(UpstreamViews::load).average().orElse(0);
      long offline = sats.stream().filter(n -> !n.online).count();
      ObjectNode o = out.addObject();
      o.put("dao_id", d.externalId());
      o.put("name", d.name);
      o.put("health", offline > 0 || avg > 0.85 ? "critical" : avg > 0.7 ? "warn" : "good");
      o.put("treasury", d.treasury.getOrDefault("DAARION", BigDecimal.ZERO).doubleValue());
      o.put("activity", d.activity);
      o.put("governance_temperature", Names.round(40 + 60 * d.activity, 1));
      o.put("anomaly_score", Names.round(sats.isEmpty() ? 0 : (double) offline / sats.size(), 2));
      ObjectNode pos = o.putObject("position");
      pos.put("x", d.x);
      pos.put("y", d.y);
      pos.put("z", d.z);
      o.put("node_count", sats.size());
      ArrayNode satellites = o.putArray("satellites");
      for (Node n : sats) {
        ObjectNode s = satellites.addObject();
        s.put("node_id", n.id());
        s.put("gpu_load", n.gpu);
        s.put("latency", n.latency);
        s.put("agents", idx.agentsOn(n));
      }
    }
    return out;
  }

  /** {@code GET /space/nodes}. */
  ArrayNode spaceNodes() {
    Index idx = new Index(net);
    ArrayNode out = F.arrayNode();
    for (Node n : net.nodes) {
      ObjectNode o = out.addObject();
      o.put("node_id", n.id());
      o.put("name", n.label);
      o.put("microdao", "microdao:" + n.microdaoSlug);
      ObjectNode gpu = o.putObject("gpu");
      gpu.put("load", n.gpu);
      gpu.put("vram_used", Names.round(n.vramTotal * n.gpu * 0.9, 1));
      gpu.put("vram_total", n.vramTotal);
      gpu.put("temperature", n.gpuNode ? n.temperature : 0.0);
      ObjectNode cpu = o.putObject("cpu");
      cpu.put("load", n.cpu);
      cpu.put("temperature", Names.round(n.temperature - (n.gpuNode ? 9 : 0), 1));
      ObjectNode mem = o.putObject("memory");
      mem.put("used", Names.round(n.memoryTotal * n.ram, 1));
      mem.put("total", n.memoryTotal);
      ObjectNode network = o.putObject("network");
      network.put("latency", n.latency);
      network.put("bandwidth_in", n.netIn);
      network.put("bandwidth_out", n.netOut);
      network.put("packet_loss", n.packetLoss);
      o.put("agents", idx.agentsOn(n));
      o.put("status", n.spaceStatus());
    }
    return out;
  }

  /** {@code GET /space/events}: recent notable happenings, newest first. */
  ArrayNode spaceEvents() {
    ArrayNode out = F.arrayNode();
    for (SpaceEvent e : net.spaceEvents) {
      ObjectNode o = out.addObject();
      o.put("type", e.type());
      o.put("dao_id", e.daoId());
      o.put("node_id", e.nodeId());
      o.put("timestamp", e.timestamp());
      o.put("severity", e.severity());
      ObjectNode meta = o.putObject("meta");
      e.meta().forEach((k, v) -> meta.set(k, value(v)));
    }
    return out;
  }

  private static JsonNode value(Object v) {
    if (v instanceof String s) {
      return F.textNode(s);
    }
    if (v instanceof Double d) {
      return F.numberNode(d);
    }
    if (v instanceof Integer i) {
      return F.numberNode(i);
    }
    if (v instanceof Long l) {
      return F.numberNode(l);
    }
    if (v instanceof Boolean b) {
      return F.booleanNode(b);
    }
    return v == null ? F.nullNode() : F.textNode(v.toString());
  }

  // ---- agents-service ----

  /** {@code GET /agents}: AgentRead list, newest first; retired agents only if asked. */
  ArrayNode agents(boolean includeInactive, String kind, String microdaoId) {
    ArrayNode out = F.arrayNode();
    List<Agent> sorted = new ArrayList<>(net.agents);
    sorted.sort(Comparator.comparing((Agent a) -> a.createdAt).reversed());
    for (Agent a : sorted) {
      if (!includeInactive && !a.active) {
        continue;
      }
      if (kind != null && !kind.equals(a.kind)) {
        continue;
      }
      if (microdaoId != null && !microdaoId.equals(a.microdao.id)) {
        continue;
      }
      out.add(agent(a));
    }
    return out;
  }

  ObjectNode agent(Agent a) {
    ObjectNode o = F.objectNode();
    o.put("id", a.id);
    o.put("external_id", a.externalId());
    o.put("name", a.displayName);
    o.put("kind", a.kind);
    o.put("description", a.description);
    o.put("microdao_id", a.microdao.id);
    o.putNull("owner_user_id");
    o.put("blueprint_id", a.blueprintId);
    o.put("model", a.model);
    ArrayNode tools = o.putArray("tools_enabled");
    a.tools.forEach(tools::add);
    o.put("system_prompt", "You are " + a.displayName + ", a " + a.kind + " of " + a.microdao.name);
    o.putNull("avatar_url");
    o.put("is_active", a.active);
    o.put("created_at", Names.isoMicrosZ(a.createdAt));
    o.put("updated_at", Names.isoMicrosZ(a.createdAt.plusSeconds(1)));
    return o;
  }

  // ---- microdao-service ----

  /** {@code GET /microdao}: MicrodaoRead list, newest first. */
  ArrayNode microdaos() {
    Index idx = new Index(net);
    ArrayNode out = F.arrayNode();
    List<Microdao> sorted = new ArrayList<>(net.microdaos);
    sorted.sort(Comparator.comparing((Microdao m) -> m.createdAt).reversed());
    for (Microdao m : sorted) {
      ObjectNode o = out.addObject();
      o.put("slug", m.slug);
      o.put("name", m.name);
      o.put("description", m.description);
      o.put("id", m.id);
      o.put("external_id", m.externalId());
      o.put("owner_user_id", m.ownerUserId);
      o.put("is_active", m.active);
      o.put("created_at", Names.isoMicrosZ(m.createdAt));
      o.put("updated_at", Names.isoMicrosZ(m.updatedAt));
      o.put("member_count", m.members.size());
      o.put("agent_count", idx.agentsOf(m).size());
    }
    return out;
  }

  // ---- dao-service ----

  /** {@code GET /dao}: DaoRead list, newest first. */
  ArrayNode daos() {
    ArrayNode out = F.arrayNode();
    List<Dao> sorted = new ArrayList<>(net.daos);
    sorted.sort(Comparator.comparing((Dao d) -> d.createdAt).reversed());
    for (Dao d : sorted) {
      out.add(dao(d));
    }
    return out;
  }

  private ObjectNode dao(Dao d) {
    ObjectNode o = F.objectNode();
    o.put("slug", d.slug);
    o.put("name", d.name);
    o.put("description", d.description);
    o.put("id", d.id);
    o.put("microdao_id", d.microdao.id);
    o.put("owner_user_id", d.ownerUserId);
    o.put("governance_model", "simple");
    o.put("voting_period_seconds", 604800);
    o.put("quorum_percent", 20);
    o.put("is_active", true);
    o.put("created_at", Names.isoMicrosZ(d.createdAt));
    o.put("updated_at", Names.isoMicrosZ(d.createdAt));
    return o;
  }

  /** {@code GET /dao/{slug}}: DaoOverview, or null when there is no such DAO. */
  ObjectNode daoOverview(String slug) {
    Dao d = net.findDao(slug);
    if (d == null) {
      return null;
    }
    ObjectNode o = F.objectNode();
    o.set("dao", dao(d));
    o.put("members_count", d.members);
    o.put("active_proposals_count", d.activeProposals());
    o.put("total_proposals_count", d.proposals.size());
    ArrayNode items = o.putArray("treasury_items");
    for (Map.Entry<String, BigDecimal> t : d.treasury.entrySet()) {
      ObjectNode i = items.addObject();
      i.put("token_symbol", t.getKey());
      i.put(
          "contract_address",
          t.getKey().equals("USDT") ? "0xdAC17F958D2ee523a2206206994597C13D831ec7" : null);
      i.put("balance", t.getValue().toPlainString());
    }
    return o;
  }

  // ---- usage-engine ----

  /** {@code GET /internal/usage/summary?period_hours=N}: UsageQueryResponse. */
  ObjectNode usageSummary(int periodHours) {
    Instant end = net.now();
    ObjectNode root = F.objectNode();
    ObjectNode s = root.putObject("summary");
    s.put("period_start", Names.naive(end.minus(Duration.ofHours(periodHours))));
    s.put("period_end", Names.naive(end));
    s.putNull("microdao_id");
    s.putNull("agent_id");
    long llmCalls = 0;
    long tokens = 0;
    long invocations = 0;
    long invocationsFailed = 0;
    for (Agent a : net.agents) {
      llmCalls += a.usage.llmCalls;
      tokens += a.usage.totalTokens;
      invocations += a.usage.invocations;
      invocationsFailed += a.usage.invocationsFailed;
    }
    long toolCalls = 0;
    long toolFailed = 0;
    long toolLatency = 0;
    for (ToolUsage t : net.toolUsage.values()) {
      toolCalls += t.calls;
      toolFailed += t.failed;
      toolLatency += t.latencyTotal;
    }
    s.put("llm_calls_total", llmCalls);
    s.put("llm_tokens_total", tokens);
    s.put("llm_tokens_prompt", net.llmPromptTokens);
    s.put("llm_tokens_completion", net.llmCompletionTokens);
    s.put("llm_latency_avg_ms", llmCalls == 0 ? 0.0 : (double) net.llmLatencyTotal / llmCalls);
    s.put("tool_calls_total", toolCalls);
    s.put("tool_calls_success", toolCalls - toolFailed);
    s.put("tool_calls_failed", toolFailed);
    s.put("tool_latency_avg_ms", toolCalls == 0 ? 0.0 : (double) toolLatency / toolCalls);
    s.put("agent_invocations_total", invocations);
    s.put("agent_invocations_success", invocations - invocationsFailed);
    s.put("agent_invocations_failed", invocationsFailed);
    s.put("messages_sent", net.messagesSent);
    s.put("messages_total_length", 0);

    ArrayNode models = root.putArray("models");
    List<ModelUsage> ms = new ArrayList<>(net.modelUsage.values());
    ms.sort(Comparator.comparingLong((ModelUsage m) -> -m.calls).thenComparing(m -> m.model));
    for (ModelUsage m : ms) {
      ObjectNode o = models.addObject();
      o.put("model", m.model);
      o.put("provider", m.provider);
      o.put("calls", m.calls);
      o.put("tokens", m.tokens);
      o.put("avg_latency_ms", m.calls == 0 ? 0.0 : (double) m.latencyTotal / m.calls);
    }
    root.set("agents", usageAgentsList());
    ArrayNode tools = root.putArray("tools");
    List<ToolUsage> ts = new ArrayList<>(net.toolUsage.values());
    ts.sort(Comparator.comparingLong((ToolUsage t) -> -t.calls).thenComparing(t -> t.toolId));
    for (ToolUsage t : ts) {
      ObjectNode o = tools.addObject();
      o.put("tool_id", t.toolId);
      o.put("tool_name", t.toolName);
      o.put("calls", t.calls);
      o.put("success_rate", t.calls == 0 ? 1.0 : (double) (t.calls - t.failed) / t.calls);
      o.put("avg_latency_ms", t.calls == 0 ? 0.0 : (double) t.latencyTotal / t.calls);
    }
    return root;
  }

  /** {@code GET /internal/usage/agents}: {@code {agents: AgentUsage[]}}. */
  ObjectNode usageAgents() {
    ObjectNode root = F.objectNode();
    root.set("agents", usageAgentsList());
    return root;
  }

  private ArrayNode usageAgentsList() {
    List<Agent> used = new ArrayList<>();
    for (Agent a : net.agents) {
      if (a.usage.any()) {
        used.add(a);
      }
    }
    used.sort(
        Comparator.comparingLong((Agent a) -> -a.usage.invocations)
            .thenComparingLong(a -> -a.usage.llmCalls)
            .thenComparing(a -> a.name));
    ArrayNode out = F.arrayNode();
    for (Agent a : used) {
      ObjectNode o = out.addObject();
      o.put("agent_id", a.externalId());
      o.put("invocations", a.usage.invocations);
      o.put("llm_calls", a.usage.llmCalls);
      o.put("tool_calls", a.usage.toolCalls);
      o.put("messages_sent", a.usage.messagesSent);
      o.put("total_tokens", a.usage.totalTokens);
    }
    return out;
  }

  // ---- helpers ----

  /**
   * Who is where, counted in one pass: at 100x DAARION (20,000 agents, 6,000 nodes) a scan of every
   * agent per node made one render of {@code /public/nodes} 120 million steps, and the service's
   * polls timed out.
   */
  private static final class Index {
    final Map<Node, int[]> onNode = new IdentityHashMap<>(); // {active, active and not offline}
    final Map<Microdao, List<Agent>> ofMicrodao = new IdentityHashMap<>();
    final Map<Dao, List<Node>> satellites = new IdentityHashMap<>();
    final Map<Microdao, Integer> channels = new IdentityHashMap<>();

    Index(SimulatedNetwork net) {
      for (Agent a : net.agents) {
        if (!a.active) {
          continue;
        }
        if (a.node != null) {
          int[] c = onNode.computeIfAbsent(a.node, k -> new int[2]);
          c[0]++;
          if (!a.status.equals("offline")) {
            c[1]++;
          }
        }
        ofMicrodao.computeIfAbsent(a.microdao, k -> new ArrayList<>()).add(a);
      }
      for (Node n : net.nodes) {
        satellites.computeIfAbsent(n.planet, k -> new ArrayList<>()).add(n);
      }
      net.channels.forEach(c -> channels.merge(c.microdao, 1, Integer::sum));
    }

    List<Agent> agentsOf(Microdao m) {
      return ofMicrodao.getOrDefault(m, List.of());
    }

    int agentsOn(Node n) {
      int[] c = onNode.get(n);
      return c == null ? 0 : c[0];
    }

    int onlineOn(Node n) {
      int[] c = onNode.get(n);
      return c == null ? 0 : c[1];
    }
  }

  private static double load(Node n) {
    return Math.max(n.cpu, n.gpu);
  }
}
