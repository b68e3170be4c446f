package org.daarion.livingmap.simulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.daarion.livingmap.simulator.SimEntities.Agent;
import org.daarion.livingmap.simulator.SimEntities.Channel;
import org.daarion.livingmap.simulator.SimEntities.CityEvent;
import org.daarion.livingmap.simulator.SimEntities.Dao;
import org.daarion.livingmap.simulator.SimEntities.Member;
import org.daarion.livingmap.simulator.SimEntities.Microdao;
import org.daarion.livingmap.simulator.SimEntities.ModelUsage;
import org.daarion.livingmap.simulator.SimEntities.Node;
import org.daarion.livingmap.simulator.SimEntities.SpaceEvent;
import org.daarion.livingmap.simulator.SimEntities.ToolUsage;

/**
 * One step of the network's life per call: changes the model and returns the event that tells of
 * the change, in the exact shape of CONTRACT section 5 and the fixtures. Every call returns exactly
 * one event. Called only with the network's lock held, from one thread at a time; deterministic for
 * a seed and a sequence of calls (the clock only sets the timestamps).
 */
final class Dynamics {
  /** An event to publish: its subject and a flat payload of immutable values. */
  record Emitted(String subject, Map<String, Object> payload) {}

  // Weights of the event families, out of 100: metrics and usage most frequent.
  private static final int W_METRICS = 38;
  private static final int W_LLM = 20;
  private static final int W_AGENT_USAGE = 10;
  private static final int W_MESSAGE = 10;
  private static final int W_STATUS = 8;
  private static final int W_DAO = 7;
  private static final int W_MICRODAO = 5;

  private final SimulatedNetwork net;
  private final SplittableRandom rng;
  private int nodeCursor;

  /** DAO and microDAO events; shares {@link #rng}, so the sequence of draws is unchanged. */
  private final GovernanceDynamics governance;

  Dynamics(SimulatedNetwork net, long seed) {
    this.net = net;
    this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
    this.governance = new GovernanceDynamics(net, rng);
  }

  Emitted next() {
    Instant now = net.now();
    int r = rng.nextInt(100);
    Emitted e = null;
    if ((r -= W_METRICS) < 0) {
      e = nodeMetrics(now);
    } else if ((r -= W_LLM) < 0) {
      e = usageLlm(now);
    } else if ((r -= W_AGENT_USAGE) < 0) {
      e = usageAgent(now);
    } else if ((r -= W_MESSAGE) < 0) {
      e = message(now);
    } else if ((r -= W_STATUS) < 0) {
      e = agentStatus(now);
    } else if ((r -= W_DAO) < 0) {
      e = governance.daoEvent(now);
    } else if ((r -= W_MICRODAO) < 0) {
      e = governance.microdaoEvent(now);
    }
    if (e == null) {
      e = nodeMetrics(now);
    }
    return e != null ? e : cityEvent(now);
  }

  // ---- nodes ----

  private Emitted nodeMetrics(Instant now) {
    List<Node> nodes = net.nodes;
    if (nodes.isEmpty()) {
      return null;
    }
    // An offline node now and then comes back; an online one now and then drops off.
    if (rng.nextInt(100) < 5) {
      for (Node n : nodes) {
        if (!n.online) {
          n.online = true;
          return metricsOf(n, now);
        }
      }
    }
    for (int tries = 0; tries < nodes.size(); tries++) {
      nodeCursor = (nodeCursor + 1) % nodes.size();
      Node n = nodes.get(nodeCursor);
      if (!n.online) {
        continue;
      }
      if (rng.nextInt(1000) < 3) {
        n.online = false;
        return alert(
            now,
            n.microdaoSlug,
            "node",
            "NODE " + n.name.toUpperCase() + " went offline",
            "error",
            n.id());
      }
      step(n);
      return metricsOf(n, now);
    }
    return null;
  }

  /** A random walk around the node's base load, with rare spikes that decay. */
  private void step(Node n) {
    boolean spike = rng.nextInt(100) == 0;
    double cpu = n.cpu + gaussian(0.04) + (n.baseLoad - n.cpu) * 0.1;
    double gpu = n.gpuNode ? n.gpu + gaussian(0.05) + (n.baseLoad - n.gpu) * 0.1 : 0.0;
    if (spike) {
      if (n.gpuNode) {
        gpu = 0.9 + rng.nextDouble() * 0.09;
      } else {
        cpu = 0.9 + rng.nextDouble() * 0.09;
      }
      net.addSpaceEvent(
          new SpaceEvent(
              "node.alert.overload",
              n.planet == null ? null : n.planet.externalId(),
              n.id(),
              net.now().getEpochSecond(),
              "warn",
              Names.ordered(n.gpuNode ? "gpu_load" : "cpu_load", round2(Math.max(cpu, gpu)))));
    }
    n.cpu = round2(clamp(cpu, 0.02, 1.0));
    n.gpu = n.gpuNode ? round2(clamp(gpu, 0.0, 1.0)) : 0.0;
    n.ram = round2(clamp(n.ram + gaussian(0.02), 0.05, 0.98));
    n.disk = round2(clamp(n.disk + gaussian(0.003) + 0.0005, 0.05, 0.97));
    double load = Math.max(n.cpu, n.gpu);
    n.netIn = round1(clamp(100 + 900 * load + gaussian(40), 0, 10_000));
    n.netOut = round1(clamp(80 + 700 * load + gaussian(40), 0, 10_000));
    n.temperature = round1(clamp(35 + 50 * load + gaussian(2), 20, 99));
    n.latency = round1(clamp(4 + 20 * load + gaussian(1.5), 1, 500));
    n.packetLoss = round2(clamp(n.packetLoss + gaussian(0.002), 0, 0.2));
  }

  private Emitted metricsOf(Node n, Instant now) {
    n.lastSeen = now;
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("node_id", n.id());
    p.put("cpu", n.cpu);
    p.put("gpu", n.gpu);
    p.put("ram", n.ram);
    p.put("disk", n.disk);
    p.put("net_in", n.netIn);
    p.put("net_out", n.netOut);
    p.put("temperature", n.temperature);
    p.put("ts", Names.isoSeconds(now));
    return new Emitted("node.metrics." + n.name, p);
  }

  // ---- agents and usage ----

  private Agent activeAgent(boolean awake) {
    List<Agent> agents = net.agents;
    if (agents.isEmpty()) {
      return null;
    }
    Agent fallback = null;
    for (int tries = 0; tries < 8; tries++) {
      Agent a = agents.get(rng.nextInt(agents.size()));
      if (!a.active) {
        continue;
      }
      if (!awake || !a.status.equals("offline")) {
        return a;
      }
      fallback = a;
    }
    return fallback;
  }

  private Emitted agentStatus(Instant now) {
    Agent a = activeAgent(false);
    if (a == null) {
      return null;
    }
    double r = rng.nextDouble();
    String next =
        switch (a.status) {
          case "online" -> r < 0.4 ? "idle" : r < 0.8 ? "busy" : "offline";
          case "idle" -> r < 0.6 ? "online" : r < 0.8 ? "busy" : "offline";
          case "busy" -> r < 0.7 ? "online" : "idle";
          default -> r < 0.7 ? "online" : "idle";
        };
    a.status = next;
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("agent_id", a.externalId());
    p.put("status", next);
    p.put("microdao_id", a.microdao.externalId());
    p.put("ts", Names.isoSeconds(now));
    return new Emitted("agent.event.status", p);
  }

  private Emitted usageLlm(Instant now) {
    Agent a = activeAgent(true);
    if (a == null) {
      return null;
    }
    boolean human = rng.nextInt(10) < 7;
    int prompt = 80 + rng.nextInt(2400);
    int completion = 20 + rng.nextInt(900);
    int latency = baseLatency(a.model) + rng.nextInt(1500);
    boolean success = rng.nextInt(100) >= 2;
    a.usage.llmCalls++;
    a.usage.totalTokens += prompt + completion;
    net.llmPromptTokens += prompt;
    net.llmCompletionTokens += completion;
    net.llmLatencyTotal += latency;
    if (!success) {
      net.llmFailed++;
    }
    ModelUsage mu =
        net.modelUsage.computeIfAbsent(a.model, m -> new ModelUsage(m, Names.providerOf(m)));
    mu.calls++;
    mu.tokens += prompt + completion;
    mu.latencyTotal += latency;
    a.lastAction = "Called " + a.model;

    Map<String, Object> p = new LinkedHashMap<>();
    p.put("event_id", uuid());
    p.put("timestamp", Names.isoMicrosZ(now));
    p.put("actor_id", human ? "user:" + (1 + rng.nextInt(200)) : a.externalId());
    p.put("actor_type", human ? "human" : "agent");
    p.put("agent_id", a.externalId());
    p.put("microdao_id", a.microdao.externalId());
    p.put("model", a.model);
    p.put("provider", Names.providerOf(a.model));
    p.put("prompt_tokens", prompt);
    p.put("completion_tokens", completion);
    p.put("total_tokens", prompt + completion);
    p.put("latency_ms", latency);
    p.put("success", success);
    p.put("error", success ? null : "rate_limited");
    return new Emitted("usage.llm", p);
  }

  private static int baseLatency(String model) {
    return switch (model) {
      case "deepseek-r1" -> 3000;
      case "llama-3.1-70b", "qwen2.5-72b" -> 1800;
      default -> 600;
    };
  }

  private Emitted usageAgent(Instant now) {
    Agent a = activeAgent(true);
    if (a == null) {
      return null;
    }
    Channel channel = channelOf(a.microdao);
    String[] triggers = {"message", "message", "schedule", "mention", "api"};
    int llmCalls = 1 + rng.nextInt(4);
    int toolCalls = rng.nextInt(4);
    boolean success = rng.nextInt(100) >= 3;
    int duration = 300 + rng.nextInt(8000);
    a.usage.invocations++;
    if (!success) {
      a.usage.invocationsFailed++;
    }
    a.usage.toolCalls += toolCalls;
    for (int i = 0; i < toolCalls && !a.tools.isEmpty(); i++) {
      String tool = a.tools.get(rng.nextInt(a.tools.size()));
      ToolUsage tu = net.toolUsage.computeIfAbsent(tool, t -> new ToolUsage(t, Names.toolName(t)));
      tu.calls++;
      tu.latencyTotal += 150 + rng.nextInt(900);
      if (rng.nextInt(50) == 0) {
        tu.failed++;
      }
    }
    String trigger = triggers[rng.nextInt(triggers.length)];
    a.lastAction = "Handled a " + trigger + " in " + a.microdao.name;

    Map<String, Object> p = new LinkedHashMap<>();
    p.put("event_id", uuid());
    p.put("timestamp", Names.isoMicrosZ(now));
    p.put("agent_id", a.externalId());
    p.put("microdao_id", a.microdao.externalId());
    p.put("channel_id", channel == null ? null : channel.id);
    p.put("trigger", trigger);
    p.put("duration_ms", duration);
    p.put("llm_calls", llmCalls);
    p.put("tool_calls", toolCalls);
    p.put("success", success);
    p.put("error", success ? null : "tool_timeout");
    return new Emitted("usage.agent", p);
  }

  private Channel channelOf(Microdao m) {
    List<Channel> own = new ArrayList<>();
    for (Channel c : net.channels) {
      if (c.microdao == m) {
        own.add(c);
      }
    }
    return own.isEmpty() ? null : own.get(rng.nextInt(own.size()));
  }

  // ---- messaging ----

  private Emitted message(Instant now) {
    if (net.channels.isEmpty()) {
      return null;
    }
    Channel c = net.channels.get(rng.nextInt(net.channels.size()));
    Agent sender = null;
    if (rng.nextInt(10) < 4) {
      List<Agent> own = new ArrayList<>();
      for (Agent a : net.agentsOf(c.microdao)) {
        if (a.active && !a.status.equals("offline")) {
          own.add(a);
        }
      }
      if (!own.isEmpty()) {
        sender = own.get(rng.nextInt(own.size()));
      }
    }
    String senderId;
    if (sender != null) {
      senderId = sender.externalId();
      sender.usage.messagesSent++;
      sender.lastAction = "Posted in #" + c.name;
    } else {
      Member m = c.microdao.members.get(rng.nextInt(c.microdao.members.size()));
      senderId = "user:" + userNumber(m.userId);
    }
    c.messages++;
    net.messagesSent++;
    StringBuilder matrix = new StringBuilder("$").append(now.toEpochMilli());
    for (int i = 0; i < 5; i++) {
      matrix.append((char) ((rng.nextBoolean() ? 'a' : 'A') + rng.nextInt(26)));
    }
    matrix.append(":daarion.city");

    Map<String, Object> p = new LinkedHashMap<>();
    p.put("channel_id", c.id);
    p.put("message_id", Names.messageUuid(net.nextMessage++));
    p.put("matrix_event_id", matrix.toString());
    p.put("sender_id", senderId);
    p.put("sender_type", sender != null ? "agent" : "human");
    p.put("microdao_id", c.microdao.externalId());
    p.put("created_at", Names.isoOffset(now));
    return new Emitted("messaging.message.created", p);
  }

  /** {@code 05e40000-0000-4000-8000-000000000093} → 93. */
  static long userNumber(String userUuid) {
    return Long.parseLong(userUuid.substring(userUuid.lastIndexOf('-') + 1));
  }

  // ---- city alerts ----

  private Emitted cityEvent(Instant now) {
    List<Node> nodes = net.nodes;
    int start = nodes.isEmpty() ? 0 : rng.nextInt(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get((start + i) % nodes.size());
      if (n.online && Math.max(n.cpu, n.gpu) > 0.85) {
        String what = n.gpu >= n.cpu ? "GPU" : "CPU";
        return alert(
            now,
            n.microdaoSlug,
            "node",
            "NODE " + n.name.toUpperCase() + " " + what + " load above 0.85",
            "warn",
            n.id());
      }
    }
    if (!net.daos.isEmpty() && rng.nextBoolean()) {
      Dao d = net.daos.get(rng.nextInt(net.daos.size()));
      return alert(now, d.microdao.slug, "dao", "Governance activity in " + d.name, "info", null);
    }
    Microdao m =
        net.microdaos.isEmpty() ? null : net.microdaos.get(rng.nextInt(net.microdaos.size()));
    return alert(
        now,
        m == null ? null : m.slug,
        "quest",
        "Quest progress in " + (m == null ? "the city" : m.name),
        "info",
        null);
  }

  private Emitted alert(
      Instant now, String microdaoSlug, String type, String label, String severity, String nodeId) {
    String id = "evt-" + net.nextCityEvent++;
    String ts = Names.isoSeconds(now);
    net.addCityEvent(new CityEvent(id, type, label, ts, severity));
    if (nodeId != null && severity.equals("error")) {
      net.addSpaceEvent(
          new SpaceEvent(
              "node.alert.offline", null, nodeId, now.getEpochSecond(), "error", Names.ordered()));
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("id", id);
    p.put("microdao_id", microdaoSlug == null ? null : "microdao:" + microdaoSlug);
    p.put("type", type);
    p.put("label", label);
    p.put("severity", severity);
    p.put("ts", ts);
    return new Emitted("city.event.alert", p);
  }

  // ---- helpers ----

  private String uuid() {
    long hi = (rng.nextLong() & ~0xF000L) | 0x4000L;
    long lo = (rng.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(hi, lo).toString();
  }

  private double gaussian(double sd) {
    // Sum of uniforms: cheap, bounded and deterministic.
    double s = rng.nextDouble() + rng.nextDouble() + rng.nextDouble() - 1.5;
    return s * 2 * sd;
  }

  static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  private static double round2(double v) {
    return Names.round(v, 2);
  }

  private static double round1(double v) {
    return Names.round(v, 1);
  }
}
