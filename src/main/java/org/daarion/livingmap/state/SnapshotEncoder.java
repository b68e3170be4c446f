package org.daarion.livingmap.state;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.daarion.livingmap.wire.Deflate;
import org.daarion.livingmap.wire.JsonAscii;
import org.daarion.livingmap.wire.Scratch;
import org.daarion.livingmap.wire.VertxInternals;

/**
 * Encodes the snapshot of CONTRACT section 2 from a {@link StateCut} straight to JSON bytes,
 * keeping each entity's encoded item between calls and encoding again only the entities that
 * changed (a new {@link Entity} instance, since the owner replaces an entity instead of changing
 * it) or whose item depends on something that changed (a resolved reference, a microDAO's counts).
 *
 * <p>Why by hand: at 100x DAARION (27,700 entities, 2,000 events/s) building the snapshot as one
 * JSON tree deep-copied every entity and serialised all of them for every prepared version: more
 * than half of the process's CPU and most of its garbage (JFR, 2026-12-05). Between two versions a
 * few hundred entities change; the rest are copied as bytes.
 *
 * <p>The output is byte for byte what serialising {@link SnapshotBuilder}'s tree gave: the same
 * members in the same order, entities sorted by id, each item and scalar written by Vert.x's JSON
 * codec, with non-ASCII characters escaped ({@link JsonAscii}: a browser then parses one-byte
 * text). Not thread-safe: one caller at a time (the snapshot service serialises its preparations).
 */
final class SnapshotEncoder {
  /** One entity's encoded item and what the totals need from it. */
  private static final class Item {
    final String id;
    final String type;
    Entity entity;
    Entity current;
    Object dependsOn;
    Map<String, String> resolvedWith;
    long seen;
    byte[] json;
    byte[] spaceNode;
    String microdao;
    boolean online;
    long llmCalls;
    double cpu;
    double gpu;
    double ram;
    boolean counted;
    long members;

    Item(String id, String type) {
      this.id = id;
      this.type = type;
    }
  }

  private final Map<String, Item> items = new HashMap<>();
  private long generation;
  private int lastSize = 64 * 1024;
  // The items of each kind sorted by id, kept while the set of ids stays the same: sorting 27,700
  // ids per version was a fifth of the encoder's CPU at 100x (JFR, 2026-12-06), and between two
  // versions entities change far more often than they come or go.
  private List<Item> microdaos = List.of();
  private List<Item> daos = List.of();
  private List<Item> nodes = List.of();
  private List<Item> agents = List.of();
  private List<Item> channels = List.of();

  /**
   * The snapshot's JSON bytes (outside the heap). {@code meta} as in {@link SnapshotBuilder#build}.
   */
  Buffer encode(StateCut cut, JsonObject meta) {
    return write(cut, meta).done();
  }

  /**
   * The snapshot's JSON bytes compressed at {@code level}: the plain bytes are freed as soon as
   * they are compressed, not left for the GC (see {@link Snapshot}). Any thread: one encoding runs
   * at a time (the encoder's caches are shared), the compression outside that lock.
   */
  Deflate.Compressed encodeCompressed(StateCut cut, JsonObject meta, int level) {
    Out o;
    synchronized (this) {
      o = write(cut, meta);
    }
    try {
      return Deflate.compress(o.done(), level);
    } finally {
      o.free();
    }
  }

  private Out write(StateCut cut, JsonObject meta) {
    long gen = ++generation;
    boolean idsChanged = false;
    int known = 0;
    Map<String, Integer> agentsPerMicrodao = new HashMap<>();
    Map<String, Integer> nodesPerMicrodao = new HashMap<>();
    for (Entity e : cut.entities()) {
      String type = e.type();
      if (!EntityTypes.TYPES.contains(type)) {
        continue;
      }
      known++;
      Item it = items.get(e.id());
      if (it == null || !it.type.equals(type) || it.seen == gen) {
        idsChanged = true;
        it = new Item(e.id(), type);
        items.put(e.id(), it);
      }
      it.seen = gen;
      switch (type) {
        case "agent" -> count(agentsPerMicrodao, resolved(it, e, cut, false).microdao);
        case "node" -> count(nodesPerMicrodao, resolved(it, e, cut, true).microdao);
        case "channel" -> resolved(it, e, cut, false);
        case "dao" -> dao(it, e, cut);
        default -> it.current = e; // a microDAO: encoded below, once every count is known
      }
    }
    if (items.size() != known) {
      items.values().removeIf(it -> it.seen != gen);
      idsChanged = true;
    }
    if (idsChanged) {
      sortByKind();
    }
    for (Item m : microdaos) {
      microdao(m, agentsPerMicrodao.get(m.id), nodesPerMicrodao.get(m.id));
    }

    int online = 0;
    long llmCalls = 0;
    for (Item a : agents) {
      online += a.online ? 1 : 0;
      llmCalls += a.llmCalls;
    }
    double totalCpu = 0;
    double totalGpu = 0;
    double totalRam = 0;
    int unhealthy = 0;
    for (Item n : nodes) {
      totalCpu += n.cpu;
      totalGpu += n.gpu;
      totalRam += n.ram;
      unhealthy += n.online ? 0 : 1;
    }
    long activeUsers = 0;
    for (Item m : microdaos) {
      activeUsers += m.counted ? m.members : 0;
    }
    String health =
        nodes.isEmpty()
            ? "green"
            : unhealthy * 10 < nodes.size()
                ? "green"
                : unhealthy * 10 < nodes.size() * 3 ? "yellow" : "red";
    String generatedAt = cut.at().toString();

    Out o = new Out(lastSize + lastSize / 8);
    o.raw("{\"generated_at\":").value(generatedAt);
    o.raw(",\"seq\":").value(cut.seq());
    o.raw(",\"epoch\":").value(cut.epoch());
    o.raw(",\"layers\":{\"city\":{\"microdaos_total\":").value(microdaos.size());
    o.raw(",\"active_users\":").value(activeUsers);
    o.raw(",\"active_agents\":").value(online);
    o.raw(",\"health\":").value(health);
    o.raw(",\"items\":").items(microdaos, false);
    o.raw(",\"channels\":").items(channels, false);
    o.raw("},\"space\":{\"planets\":").items(daos, false);
    o.raw(",\"nodes\":").items(nodes, true);
    o.raw("},\"nodes\":{\"items\":").items(nodes, false);
    o.raw(",\"total_cpu\":").value(round(totalCpu));
    o.raw(",\"total_gpu\":").value(round(totalGpu));
    o.raw(",\"total_ram\":").value(round(totalRam));
    o.raw("},\"agents\":{\"items\":").items(agents, false);
    o.raw(",\"total_agents\":").value(agents.size());
    o.raw(",\"online_agents\":").value(online);
    o.raw(",\"total_llm_calls_24h\":").value(llmCalls);
    o.raw("}},\"meta\":").bytes(metaFor(meta, cut, generatedAt, cut.entities().size()));
    o.raw("}");
    lastSize = o.length();
    return o;
  }

  private static byte[] metaFor(JsonObject meta, StateCut cut, String generatedAt, int total) {
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
        .put("entities_total", total);
    return JsonAscii.escape(m.toBuffer().getBytes());
  }

  private void sortByKind() {
    List<Item> all = new ArrayList<>(items.values());
    all.sort(Comparator.comparing(it -> it.id));
    List<Item> m = new ArrayList<>();
    List<Item> d = new ArrayList<>();
    List<Item> n = new ArrayList<>();
    List<Item> a = new ArrayList<>();
    List<Item> c = new ArrayList<>();
    for (Item it : all) {
      switch (it.type) {
        case "microdao" -> m.add(it);
        case "dao" -> d.add(it);
        case "node" -> n.add(it);
        case "agent" -> a.add(it);
        default -> c.add(it);
      }
    }
    microdaos = m;
    daos = d;
    nodes = n;
    agents = a;
    channels = c;
  }

  /**
   * Whether {@code it} holds {@code e}'s encoding as resolved against this cut's aliases: an agent,
   * node, channel or DAO item depends on nothing else, and the owner hands out the same immutable
   * aliases map until an alias changes, so most items skip resolving their references again.
   */
  private static boolean unchanged(Item it, Entity e, StateCut cut) {
    return it.json != null && it.entity == e && it.resolvedWith == cut.aliases();
  }

  /** An agent, node or channel: its data with {@code microdao_id} resolved. */
  private Item resolved(Item it, Entity e, StateCut cut, boolean node) {
    if (unchanged(it, e, cut)) {
      return it;
    }
    Object ref = e.data().getValue("microdao_id");
    Object dependsOn = ref instanceof String s ? cut.resolve("microdao", s) : ref;
    keep(it, e, dependsOn, cut.aliases());
    if (it.json != null) {
      return it;
    }
    JsonObject d = e.data().copy();
    if (ref instanceof String) {
      d.put("microdao_id", dependsOn);
    }
    it.microdao = d.getString("microdao_id");
    it.online = "online".equals(d.getString("status"));
    JsonObject usage = d.getJsonObject("usage");
    it.llmCalls =
        usage != null && usage.getValue("llm_calls_24h") instanceof Number n ? n.longValue() : 0;
    if (node) {
      JsonObject metrics = d.getJsonObject("metrics", new JsonObject());
      it.cpu = metrics.getDouble("cpu", 0.0);
      it.gpu = metrics.getDouble("gpu", 0.0);
      it.ram = metrics.getDouble("ram", 0.0);
      it.spaceNode =
          new JsonObject()
              .put("id", d.getString("id"))
              .put("name", d.getString("name"))
              .put("status", d.getString("status"))
              .put("cpu", it.cpu)
              .put("gpu", it.gpu)
              .put("memory", it.ram)
              .put("alerts", d.getJsonArray("alerts", new JsonArray()))
              .toBuffer()
              .getBytes();
      it.spaceNode = JsonAscii.escape(it.spaceNode);
    }
    // Last: an item with bytes is complete (a field of the wrong type throws above, as it did).
    it.json = JsonAscii.escape(d.toBuffer().getBytes());
    return it;
  }

  /** A DAO planet: {@code microdao_id} and its orbiting nodes resolved. */
  private void dao(Item it, Entity e, StateCut cut) {
    if (unchanged(it, e, cut)) {
      return;
    }
    Object ref = e.data().getValue("microdao_id");
    JsonArray orbits = new JsonArray();
    for (Object o : e.data().getJsonArray("orbits", new JsonArray())) {
      if (o != null) {
        orbits.add(cut.resolve("node", o.toString()));
      }
    }
    Object microdao = ref instanceof String s ? cut.resolve("microdao", s) : ref;
    keep(it, e, List.of(Objects.toString(microdao), orbits), cut.aliases());
    if (it.json == null) {
      JsonObject d = e.data().copy();
      if (ref instanceof String) {
        d.put("microdao_id", microdao);
      }
      d.put("orbits", orbits);
      it.json = JsonAscii.escape(d.toBuffer().getBytes());
    }
  }

  /** A microDAO with the agents and nodes that name it counted in. */
  private void microdao(Item it, Integer agents, Integer nodes) {
    Entity e = it.current;
    keep(it, e, List.of(Objects.toString(agents), Objects.toString(nodes)), null);
    if (it.json == null) {
      JsonObject d = e.data().copy();
      if (agents != null) {
        d.put("agents", agents);
      }
      if (nodes != null) {
        d.put("nodes", nodes);
      }
      it.counted =
          !"inactive".equals(d.getString("status")) && d.getValue("members") instanceof Number;
      it.members = d.getValue("members") instanceof Number mm ? mm.longValue() : 0;
      it.json = JsonAscii.escape(d.toBuffer().getBytes());
    }
  }

  /** Keeps {@code it}'s bytes if it still encodes {@code e} with the same dependencies. */
  private static void keep(Item it, Entity e, Object dependsOn, Map<String, String> aliases) {
    if (it.entity != e || !Objects.equals(it.dependsOn, dependsOn)) {
      it.json = null;
      it.spaceNode = null;
    }
    it.entity = e;
    it.dependsOn = dependsOn;
    it.resolvedWith = aliases;
  }

  private static void count(Map<String, Integer> counts, String microdao) {
    if (microdao != null) {
      counts.merge(microdao, 1, Integer::sum);
    }
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }

  /**
   * The bytes being written, outside the heap: the 100x snapshot (7.9 MB) on the heap was a
   * humongous allocation several times a second, each forcing G1 to collect early.
   */
  private static final class Out {
    private ByteBuffer buf;

    Out(int capacity) {
      buf = ByteBuffer.allocateDirect(capacity);
    }

    int length() {
      return buf.position();
    }

    /** The bytes written; read-only from here on. */
    Buffer done() {
      ByteBuffer b = buf.duplicate();
      b.flip();
      return VertxInternals.buffer(Unpooled.wrappedBuffer(b));
    }

    /** Frees the bytes: neither this nor what {@link #done} returned may be used again. */
    void free() {
      Scratch.free(buf);
      buf = null;
    }

    private void room(int n) {
      if (buf.remaining() < n) {
        buf = Scratch.grow(buf, buf.position() + n);
      }
    }

    Out raw(String ascii) {
      return bytes(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    Out bytes(byte[] b) {
      room(b.length);
      buf.put(b);
      return this;
    }

    private void put(byte b) {
      room(1);
      buf.put(b);
    }

    /** A scalar as Vert.x's codec writes it inside a tree (strings escaped, numbers as Jackson). */
    Out value(Object v) {
      return bytes(JsonAscii.escape(Json.encode(v).getBytes(StandardCharsets.UTF_8)));
    }

    Out items(List<Item> list, boolean spaceNodes) {
      put((byte) '[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          put((byte) ',');
        }
        Item it = list.get(i);
        bytes(spaceNodes ? it.spaceNode : it.json);
      }
      put((byte) ']');
      return this;
    }
  }
}
