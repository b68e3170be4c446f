package org.daarion.livingmap.simulator;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.simulator.SimEntities.Agent;
import org.daarion.livingmap.simulator.SimEntities.Channel;
import org.daarion.livingmap.simulator.SimEntities.CityEvent;
import org.daarion.livingmap.simulator.SimEntities.Dao;
import org.daarion.livingmap.simulator.SimEntities.Microdao;
import org.daarion.livingmap.simulator.SimEntities.ModelUsage;
import org.daarion.livingmap.simulator.SimEntities.Node;
import org.daarion.livingmap.simulator.SimEntities.SpaceEvent;
import org.daarion.livingmap.simulator.SimEntities.ToolUsage;

/**
 * The DAARION network in miniature: microDAOs, DAO planets, nodes, agents and channels, with the
 * counters the upstream services report (members, treasuries, proposals, node metrics, 24 h usage).
 *
 * <p><b>Determinism.</b> The same seed and sizes give the same network: every random choice comes
 * from one {@link SplittableRandom} seeded with the seed, and every collection iterates in creation
 * order. Creation times are fixed offsets from {@link Names#BASE_TIME}; only entities added at run
 * time and "now"-fields of responses read the {@link Clock}.
 *
 * <p><b>Threads.</b> Mutable and thread-safe: one lock guards the whole model. The event generator
 * mutates it on its own thread while the HTTP server reads it on Vert.x event loops; each holds the
 * lock only for the few microseconds it takes to change or render the model, never while doing IO.
 * The public mutators below (for reconciliation tests) may be called from any thread.
 */
public final class SimulatedNetwork {
  static final int RECENT_EVENTS = 50;

  private final ReentrantLock lock = new ReentrantLock();
  final Clock clock;
  final long seed;

  // Guarded by lock.
  final List<Microdao> microdaos = new ArrayList<>();
  final List<Dao> daos = new ArrayList<>();
  final List<Node> nodes = new ArrayList<>();
  final List<Agent> agents = new ArrayList<>();

  /** Moves whenever an agent is added or removed here (see {@link #agentsOf}). */
  private int agentsVersion;

  private int indexedVersion = -1;
  private int indexedSize = -1;
  private Map<Microdao, List<Agent>> agentsByMicrodao = Map.of();
  final List<Channel> channels = new ArrayList<>();
  final Map<String, ModelUsage> modelUsage = new LinkedHashMap<>();
  final Map<String, ToolUsage> toolUsage = new LinkedHashMap<>();
  final Deque<SpaceEvent> spaceEvents = new ArrayDeque<>();
  final Deque<CityEvent> cityEvents = new ArrayDeque<>();
  long llmPromptTokens;
  long llmCompletionTokens;
  long llmLatencyTotal;
  long llmFailed;
  long messagesSent;
  double eventsPerSecond;
  long nextUser = 100;
  long nextMember = 1;
  long nextProposal = 1;
  long nextVote = 1;
  long nextMessage = 1;
  long nextAgent = 1;
  long nextChannel = 1;
  long nextMicrodao = 1;
  long nextCityEvent = 1135;
  long totalProposalsCreated;

  private SimulatedNetwork(long seed, Clock clock) {
    this.seed = seed;
    this.clock = Objects.requireNonNull(clock);
  }

  /** A network with the sizes and seed of {@code config}, timestamps from the system clock. */
  public static SimulatedNetwork generate(Config config) {
    return generate(config, Clock.systemUTC());
  }

  public static SimulatedNetwork generate(Config config, Clock clock) {
    return generate(
        config.simSeed,
        config.simMicrodaos,
        config.simDaos,
        config.simNodes,
        config.simAgents,
        config.simChannels,
        clock);
  }

  /**
   * A network of the given sizes. {@code microdaos}, {@code daos} and {@code nodes} must be at
   * least 1; agents and channels may be 0.
   */
  public static SimulatedNetwork generate(
      long seed, int microdaos, int daos, int nodes, int agents, int channels, Clock clock) {
    if (microdaos < 1 || daos < 1 || nodes < 1 || agents < 0 || channels < 0) {
      throw new IllegalArgumentException(
          "need at least one microDAO, one DAO and one node, and no negative sizes");
    }
    SimulatedNetwork net = new SimulatedNetwork(seed, clock);
    new NetworkGenerator(net, new SplittableRandom(seed))
        .run(microdaos, daos, nodes, agents, channels);
    return net;
  }

  /** Runs {@code body} holding the model's lock. */
  <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  private void locked(Runnable body) {
    lock.lock();
    try {
      body.run();
    } finally {
      lock.unlock();
    }
  }

  Instant now() {
    return clock.instant();
  }

  // ---- queries (snapshots of ids, in model order) ----

  /** External ids ({@code agent:sofia}) of all agents, active or not. */
  public List<String> agentIds() {
    return locked(() -> agents.stream().map(Agent::externalId).toList());
  }

  /** {@code node:gpu-07} ids of all nodes. */
  public List<String> nodeIds() {
    return locked(() -> nodes.stream().map(Node::id).toList());
  }

  /** External ids ({@code microdao:daarion}) of all microDAOs. */
  public List<String> microdaoIds() {
    return locked(() -> microdaos.stream().map(Microdao::externalId).toList());
  }

  /** Slugs of all DAOs. */
  public List<String> daoSlugs() {
    return locked(() -> daos.stream().map(d -> d.slug).toList());
  }

  /** Status of an agent (online, idle, busy, offline), or null if there is no such agent. */
  public String agentStatus(String id) {
    return locked(
        () -> {
          Agent a = findAgent(id);
          return a == null ? null : a.status;
        });
  }

  /**
   * Who belongs to whom in the model, as the map's relations should show it (every reference in
   * external form): each agent's microDAO and node, each node's microDAO and DAO planet, each DAO's
   * microDAO, each channel's microDAO. Keys in model order; a null value where there is none.
   *
   * @param channels channel UUID to its microDAO
   */
  public record Topology(
      Map<String, String> agentMicrodao,
      Map<String, String> agentNode,
      Map<String, String> nodeMicrodao,
      Map<String, String> nodePlanet,
      Map<String, String> daoMicrodao,
      Map<String, String> channels) {}

  /** The model's relations now (for tests that check the map's graph against the model). */
  public Topology topology() {
    return locked(
        () -> {
          Map<String, String> agentMicrodao = new LinkedHashMap<>();
          Map<String, String> agentNode = new LinkedHashMap<>();
          for (Agent a : agents) {
            agentMicrodao.put(a.externalId(), a.microdao.externalId());
            agentNode.put(a.externalId(), a.node == null ? null : a.node.id());
          }
          Map<String, String> nodeMicrodao = new LinkedHashMap<>();
          Map<String, String> nodePlanet = new LinkedHashMap<>();
          for (Node n : nodes) {
            nodeMicrodao.put(n.id(), "microdao:" + n.microdaoSlug);
            nodePlanet.put(n.id(), n.planet == null ? null : n.planet.externalId());
          }
          Map<String, String> daoMicrodao = new LinkedHashMap<>();
          for (Dao d : daos) {
            daoMicrodao.put(d.externalId(), d.microdao == null ? null : d.microdao.externalId());
          }
          Map<String, String> channelMicrodao = new LinkedHashMap<>();
          for (Channel c : channels) {
            channelMicrodao.put(c.id, c.microdao.externalId());
          }
          return new Topology(
              java.util.Collections.unmodifiableMap(agentMicrodao),
              java.util.Collections.unmodifiableMap(agentNode),
              java.util.Collections.unmodifiableMap(nodeMicrodao),
              java.util.Collections.unmodifiableMap(nodePlanet),
              java.util.Collections.unmodifiableMap(daoMicrodao),
              java.util.Collections.unmodifiableMap(channelMicrodao));
        });
  }

  /** The event rate the city snapshot reports as {@code natsTps}; set by the event source. */
  void eventsPerSecond(double rate) {
    locked(() -> eventsPerSecond = rate);
  }

  // ---- mutators for tests and the control API ----

  /** Removes an agent by UUID or external id ({@code agent:sofia}); false if there is none. */
  public boolean removeAgent(String id) {
    return locked(
        () -> {
          Agent a = findAgent(id);
          if (a == null || !agents.remove(a)) {
            return false;
          }
          agentsVersion++;
          return true;
        });
  }

  /** Marks an agent active or retired (retired agents leave {@code GET /agents}). */
  public boolean setAgentActive(String id, boolean active) {
    return locked(
        () -> {
          Agent a = findAgent(id);
          if (a == null) {
            return false;
          }
          a.active = active;
          if (!active) {
            a.status = "offline";
          }
          return true;
        });
  }

  /**
   * Adds an agent and returns its external id.
   *
   * @param name the short name ({@code agent:<name>}), unique
   * @param kind assistant, analyst, guardian, orchestrator, …
   * @param microdao the owning microDAO's slug, UUID or external id
   */
  public String addAgent(String name, String kind, String microdao) {
    return locked(
        () -> {
          if (findAgent("agent:" + name) != null) {
            throw new IllegalArgumentException("agent " + name + " exists");
          }
          Microdao m = requireMicrodao(microdao);
          long n = nextAgent++;
          Agent a =
              new Agent(
                  Names.agentUuid(n),
                  name,
                  capitalize(name),
                  kind,
                  "Simulated " + kind,
                  m,
                  Names.blueprintUuid(n),
                  Names.MODELS.get(0)[0],
                  Names.toolsOf(kind),
                  now(),
                  "online");
          a.node = nodes.isEmpty() ? null : nodes.get((int) (n % nodes.size()));
          a.lastAction = "Joined " + m.name;
          agents.add(a);
          agentsVersion++;
          return a.externalId();
        });
  }

  /**
   * Renames a microDAO (slug, UUID or external id), as an edit in microdao-service would, without
   * publishing an event: only a poll can find the change. False if there is none.
   */
  public boolean renameMicrodao(String id, String name) {
    return locked(
        () -> {
          Microdao m = findMicrodao(id);
          if (m == null) {
            return false;
          }
          m.name = Objects.requireNonNull(name);
          m.updatedAt = now();
          return true;
        });
  }

  /** Removes a node ({@code node:gpu-07} or {@code gpu-07}); false if there is none. */
  public boolean removeNode(String id) {
    return locked(
        () -> {
          Node n = findNode(id);
          if (n == null) {
            return false;
          }
          for (Agent a : agents) {
            if (a.node == n) {
              a.node = null;
            }
          }
          return nodes.remove(n);
        });
  }

  /** Takes a node offline (it stops publishing metrics) or brings it back. */
  public boolean setNodeOnline(String id, boolean online) {
    return locked(
        () -> {
          Node n = findNode(id);
          if (n == null) {
            return false;
          }
          n.online = online;
          return true;
        });
  }

  /**
   * Adds a node and returns its id {@code node:<name>}.
   *
   * @param microdao the owning microDAO's slug, UUID or external id
   * @param daoSlug the DAO planet it orbits
   */
  public String addNode(String name, boolean gpu, String microdao, String daoSlug) {
    return locked(
        () -> {
          if (findNode(name) != null) {
            throw new IllegalArgumentException("node " + name + " exists");
          }
          Microdao m = requireMicrodao(microdao);
          Dao d = findDao(daoSlug);
          if (d == null) {
            throw new IllegalArgumentException("no DAO " + daoSlug);
          }
          Node n =
              new Node(
                  name,
                  capitalize(name),
                  gpu,
                  m.slug,
                  "10.7.0." + (nodes.size() + 1),
                  "production",
                  gpu ? Names.GPUS.get(0)[0] : null,
                  gpu ? Double.parseDouble(Names.GPUS.get(0)[1]) : 0.0,
                  64.0);
          n.planet = d;
          n.baseLoad = 0.4;
          n.cpu = 0.4;
          n.gpu = gpu ? 0.4 : 0.0;
          n.ram = 0.4;
          n.disk = 0.3;
          n.temperature = 55.0;
          n.latency = 10.0;
          n.lastSeen = now();
          nodes.add(n);
          return n.id();
        });
  }

  /** Removes a microDAO (slug, UUID or external id) and its channels; false if there is none. */
  public boolean removeMicrodao(String id) {
    return locked(
        () -> {
          Microdao m = findMicrodao(id);
          if (m == null) {
            return false;
          }
          channels.removeIf(c -> c.microdao == m);
          return microdaos.remove(m);
        });
  }

  /** Removes a DAO (slug, UUID or {@code dao:<slug>}) and its planet; false if there is none. */
  public boolean removeDao(String id) {
    return locked(
        () -> {
          Dao d = findDao(id);
          if (d == null) {
            return false;
          }
          for (Node n : nodes) {
            if (n.planet == d) {
              n.planet = null;
            }
          }
          return daos.remove(d);
        });
  }

  // ---- lookups, lock held ----

  /**
   * A microDAO's agents in the order of {@link #agents}. Indexed: the message dynamics ask for
   * every other message, and a walk over all agents each time was an eighth of the CPU at 100x
   * DAARION (20,000 agents, JFR 2026-12-06).
   */
  List<Agent> agentsOf(Microdao m) {
    if (indexedVersion != agentsVersion || indexedSize != agents.size()) {
      Map<Microdao, List<Agent>> index = new java.util.IdentityHashMap<>();
      for (Agent a : agents) {
        index.computeIfAbsent(a.microdao, k -> new ArrayList<>()).add(a);
      }
      agentsByMicrodao = index;
      indexedVersion = agentsVersion;
      indexedSize = agents.size();
    }
    return agentsByMicrodao.getOrDefault(m, List.of());
  }

  Agent findAgent(String id) {
    for (Agent a : agents) {
      if (a.id.equals(id) || a.externalId().equals(id) || a.name.equals(id)) {
        return a;
      }
    }
    return null;
  }

  Node findNode(String id) {
    for (Node n : nodes) {
      if (n.id().equals(id) || n.name.equals(id)) {
        return n;
      }
    }
    return null;
  }

  Microdao findMicrodao(String id) {
    for (Microdao m : microdaos) {
      if (m.slug.equals(id) || m.id.equals(id) || m.externalId().equals(id)) {
        return m;
      }
    }
    return null;
  }

  Dao findDao(String id) {
    for (Dao d : daos) {
      if (d.slug.equals(id) || d.id.equals(id) || d.externalId().equals(id)) {
        return d;
      }
    }
    return null;
  }

  private Microdao requireMicrodao(String id) {
    Microdao m = findMicrodao(id);
    if (m == null) {
      throw new IllegalArgumentException("no microDAO " + id);
    }
    return m;
  }

  void addSpaceEvent(SpaceEvent e) {
    spaceEvents.addFirst(e);
    while (spaceEvents.size() > RECENT_EVENTS) {
      spaceEvents.removeLast();
    }
  }

  void addCityEvent(CityEvent e) {
    cityEvents.addFirst(e);
    while (cityEvents.size() > RECENT_EVENTS) {
      cityEvents.removeLast();
    }
  }

  static String capitalize(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  static BigDecimal money(long units) {
    return BigDecimal.valueOf(units).setScale(8, RoundingMode.UNNECESSARY);
  }

  /**
   * {@code "Budget Allocation 2025"} → {@code "budget-allocation-2025"}; non-ASCII only → "motion".
   */
  static String slugOf(String title) {
    String s =
        title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
    return s.isEmpty() ? "motion" : s;
  }

  static double round2(double v) {
    return Names.round(v, 2);
  }

  static double round1(double v) {
    return Names.round(v, 1);
  }
}
