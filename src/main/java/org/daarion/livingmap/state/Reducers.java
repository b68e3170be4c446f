package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Set;
import org.daarion.livingmap.event.EntityIds;
import org.daarion.livingmap.event.Event;

/**
 * How each known subject family changes the live state (DESIGN: "events change the state"). Unknown
 * subjects change nothing; they are still kept in history and streamed. Runs on the state owner's
 * thread only.
 */
final class Reducers {
  /** Load above which a node shows {@code warning}. */
  static final double HOT_LOAD = 0.9;

  /** Temperature in degrees Celsius above which a node shows {@code warning}. */
  static final double HOT_TEMPERATURE = 85.0;

  private Reducers() {}

  /**
   * Applies one event as one change: when its reducer meets a value of the wrong type (a {@link
   * ClassCastException} from a typed getter, or any other failure) or leaves a number that is not
   * finite in an entity (an average that overflowed, a decimal string like {@code "1e400"}), or
   * makes an entity larger than {@link EntityBytes#MAX} (long text from an event), every change it
   * made is undone and the reason is returned; null when the event was applied. Owner thread (or a
   * private state) only.
   */
  static String applyChecked(Event e, String entityId, long seq, LiveState s) {
    s.beginChange();
    try {
      apply(e, entityId, seq, s);
    } catch (RuntimeException ex) {
      s.rollBack();
      return "the " + e.eventType() + " reducer met a value it cannot use: " + describe(ex);
    }
    for (Entity changed : s.changedEntities()) {
      String bad = org.daarion.livingmap.event.FiniteNumbers.firstNonFinite(changed.data());
      if (bad == null) {
        bad = org.daarion.livingmap.event.FiniteNumbers.firstNonFinite(changed.extra());
      }
      if (bad != null) {
        s.rollBack();
        return "the "
            + e.eventType()
            + " reducer would store a number that is not finite at "
            + changed.id()
            + " "
            + bad;
      }
      String large = EntityBytes.overLimit(changed);
      if (large != null) {
        s.rollBack();
        return "the " + e.eventType() + " reducer would exceed the state's byte bound: " + large;
      }
    }
    s.commitChange();
    return null;
  }

  private static String describe(RuntimeException ex) {
    String m = ex.getMessage();
    if (ex instanceof ClassCastException && m != null) {
      // "class java.lang.Integer cannot be cast to class java.lang.String (... module ...)"
      int paren = m.indexOf(" (");
      return "wrong type: " + (paren > 0 ? m.substring(0, paren) : m);
    }
    String text = ex.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    return text.length() > 200 ? text.substring(0, 200) : text;
  }

  /** Applies one event; {@code entityId} is already resolved against the state. */
  static void apply(Event e, String entityId, long seq, LiveState s) {
    String subject = e.eventType();
    JsonObject p = e.payload();
    Instant at = e.timestamp();
    if (subject.startsWith("node.metrics.") || subject.equals("node.metrics")) {
      nodeMetrics(p, entityId, seq, at, s);
    } else if (subject.startsWith("agent.event.")) {
      agentEvent(p, entityId, seq, at, s);
    } else if (subject.equals("usage.llm") || subject.startsWith("usage.llm.")) {
      usageLlm(p, seq, at, s);
    } else if (subject.equals("usage.agent") || subject.startsWith("usage.agent.")) {
      usageAgent(p, seq, at, s);
    } else if (subject.equals("messaging.message.created")) {
      message(p, seq, at, s);
    } else if (subject.startsWith("dao.event.")) {
      daoEvent(subject.substring("dao.event.".length()), p, entityId, seq, at, s);
    } else if (subject.startsWith("microdao.event.")) {
      microdaoEvent(subject.substring("microdao.event.".length()), p, entityId, seq, at, s);
    } else if (subject.startsWith("living_map.entity.")) {
      reconciled(subject, p, seq, at, s);
    } else if (subject.startsWith(AlertMarks.PREFIX)) {
      AlertMarks.reduce(subject, p, entityId, seq, at, s);
    }
  }

  /**
   * Replays what the {@link Reconciler} did live, so a state rebuilt from history alone (time
   * travel, restart) matches the live one. Live, these events are emitted after the change and
   * never come through here.
   */
  private static void reconciled(String subject, JsonObject p, long seq, Instant at, LiveState s) {
    if (Reconciler.ALIASES.equals(subject)) {
      if (p.getValue("aliases") instanceof JsonObject learned) {
        for (String key : learned.fieldNames()) {
          if (learned.getValue(key) instanceof String id) {
            s.alias(key, id);
          }
        }
      }
      return;
    }
    String id = p.getString("entity_id");
    String type = p.getString("entity_type");
    if (id == null || type == null) {
      return;
    }
    switch (subject) {
      case Reconciler.ADDED -> {
        JsonObject data = p.getJsonObject("entity", EntityTypes.blank(type, id));
        s.put(
            new Entity(
                id,
                type,
                data.copy(),
                new JsonObject(),
                Set.of(p.getString("source", "")),
                seq,
                at));
      }
      case Reconciler.UPDATED -> {
        Entity e = existingOrNew(s, type, id, at);
        JsonObject d = e.data().copy();
        JsonObject changes = p.getJsonObject("changes", new JsonObject());
        changes.forEach(en -> d.put(en.getKey(), en.getValue()));
        s.put(e.withData(d, seq, at));
      }
      case Reconciler.REMOVED -> s.remove(id);
      case Reconciler.META -> {
        Entity e = s.get(id);
        if (e == null) {
          return;
        }
        if (p.getValue("extra") instanceof JsonObject extra && !extra.isEmpty()) {
          e = e.withExtra(e.extra().copy().mergeIn(extra.copy(), true));
        }
        if (p.getValue("sources") instanceof io.vertx.core.json.JsonArray list) {
          Set<String> sources = new java.util.HashSet<>();
          for (Object o : list) {
            if (o instanceof String name) {
              sources.add(name);
            }
          }
          e = e.withSources(Set.copyOf(sources));
        }
        s.put(e);
      }
      default -> {}
    }
  }

  private static void nodeMetrics(JsonObject p, String id, long seq, Instant at, LiveState s) {
    if (id == null) {
      return;
    }
    Entity node = existingOrNew(s, "node", id, at);
    JsonObject d = shallowCopy(node.data());
    JsonObject m = shallowCopy(d.getJsonObject("metrics", new JsonObject()));
    for (String key :
        new String[] {"cpu", "gpu", "ram", "disk", "net_in", "net_out", "temperature"}) {
      Object v = p.getValue(key);
      if (v instanceof Number n) {
        m.put(key, n.doubleValue());
      }
    }
    d.put("metrics", m);
    d.put("last_seen", timestampOf(p, at));
    d.put("status", nodeStatus(m));
    s.put(node.withData(d, seq, at));
  }

  static String nodeStatus(JsonObject m) {
    double cpu = number(m, "cpu");
    double gpu = number(m, "gpu");
    double temp = number(m, "temperature");
    return cpu >= HOT_LOAD || gpu >= HOT_LOAD || temp >= HOT_TEMPERATURE ? "warning" : "online";
  }

  private static void agentEvent(JsonObject p, String id, long seq, Instant at, LiveState s) {
    if (id == null) {
      return;
    }
    Entity agent = existingOrNew(s, "agent", id, at);
    JsonObject d = shallowCopy(agent.data());
    String status = p.getString("status");
    if (status != null) {
      d.put("status", agentStatus(status));
    }
    if (p.getString("microdao_id") != null && d.getValue("microdao_id") == null) {
      d.put("microdao_id", p.getString("microdao_id"));
    }
    d.put("last_active", timestampOf(p, at));
    s.put(agent.withData(d, seq, at));
  }

  /** The contract's agent statuses are online, offline and idle; busy is a kind of online. */
  static String agentStatus(String raw) {
    return switch (raw) {
      case "offline", "idle" -> raw;
      case "busy", "online", "active" -> "online";
      default -> "offline".equalsIgnoreCase(raw) ? "offline" : "online";
    };
  }

  private static void usageLlm(JsonObject p, long seq, Instant at, LiveState s) {
    String agentId = agentRef(p, s);
    if (agentId == null) {
      return;
    }
    Entity agent = existingOrNew(s, "agent", agentId, at);
    JsonObject d = shallowCopy(agent.data());
    JsonObject u = shallowCopy(d.getJsonObject("usage", new JsonObject()));
    long calls = count(u, "llm_calls_24h") + 1;
    u.put("llm_calls_24h", calls);
    u.put("tokens_24h", count(u, "tokens_24h") + longOf(p, "total_tokens"));
    Number latency = p.getValue("latency_ms") instanceof Number n ? n : null;
    if (latency != null) {
      double avg = number(u, "avg_response_time_ms");
      u.put("avg_response_time_ms", avg + (latency.doubleValue() - avg) / calls);
    }
    d.put("usage", u);
    if (p.getString("model") != null) {
      d.put("model", p.getString("model"));
    }
    d.put("last_active", timestampOf(p, at));
    s.put(agent.withData(d, seq, at));
  }

  private static void usageAgent(JsonObject p, long seq, Instant at, LiveState s) {
    String agentId = agentRef(p, s);
    if (agentId == null) {
      return;
    }
    Entity agent = existingOrNew(s, "agent", agentId, at);
    JsonObject d = shallowCopy(agent.data());
    JsonObject u = shallowCopy(d.getJsonObject("usage", new JsonObject()));
    u.put("invocations_24h", count(u, "invocations_24h") + 1);
    d.put("usage", u);
    d.put("last_active", timestampOf(p, at));
    s.put(agent.withData(d, seq, at));
  }

  private static void message(JsonObject p, long seq, Instant at, LiveState s) {
    String channelRaw = p.getString("channel_id");
    if (channelRaw != null) {
      String channelId = s.resolve(EntityIds.canonical("channel", channelRaw));
      Entity channel = existingOrNew(s, "channel", channelId, at);
      JsonObject d = shallowCopy(channel.data());
      d.put("messages_24h", count(d, "messages_24h") + 1);
      d.put("last_message_at", timestampOf(p, at));
      if (p.getString("microdao_id") != null && d.getValue("microdao_id") == null) {
        d.put("microdao_id", p.getString("microdao_id"));
      }
      s.put(channel.withData(d, seq, at));
    }
    if ("agent".equals(p.getString("sender_type")) && p.getString("sender_id") != null) {
      String agentId = s.resolve(EntityIds.canonical("agent", p.getString("sender_id")));
      Entity agent = s.get(agentId);
      if (agent != null) {
        JsonObject d = shallowCopy(agent.data());
        JsonObject u = shallowCopy(d.getJsonObject("usage", new JsonObject()));
        u.put("messages_24h", count(u, "messages_24h") + 1);
        d.put("usage", u);
        d.put("last_active", timestampOf(p, at));
        s.put(agent.withData(d, seq, at));
      }
    }
  }

  private static void daoEvent(
      String kind, JsonObject p, String id, long seq, Instant at, LiveState s) {
    String uuid = p.getString("dao_id");
    if ("created".equals(kind)) {
      String slug = p.getString("slug");
      String newId = s.get(id) != null || slug == null ? id : "dao:" + slug;
      if (newId == null) {
        return;
      }
      Entity dao = existingOrNew(s, "dao", newId, at);
      s.alias(uuid, newId);
      s.alias(slug, newId);
      JsonObject d = dao.data().copy();
      putIfPresent(d, "name", p.getString("name"));
      putIfPresent(d, "slug", slug);
      putIfPresent(d, "microdao_id", p.getString("microdao_id"));
      s.put(dao.withData(d, seq, at).withExtra(dao.extra().copy().put("uuid", uuid)));
      return;
    }
    if (id == null) {
      return;
    }
    Entity dao = s.get(id);
    if ("deleted".equals(kind)) {
      s.remove(id);
      return;
    }
    if (dao == null) {
      // A DAO not yet known (its UUID not yet seen in a poll) is not invented from a side event;
      // the event stays in history and the next poll brings the DAO.
      return;
    }
    JsonObject d = dao.data().copy();
    JsonObject x = dao.extra().copy();
    JsonArray active = x.getJsonArray("active_proposal_ids", new JsonArray()).copy();
    String proposal = p.getString("proposal_id");
    switch (kind) {
      case "updated" -> {
        if (p.getValue("changes") instanceof JsonObject changes) {
          for (String key : Set.of("name", "description")) {
            putIfPresent(d, key, changes.getString(key));
          }
        }
        putIfPresent(d, "name", p.getString("name"));
      }
      case "member_added" -> x.put("members_count", count(x, "members_count") + 1);
      case "member_removed" -> x.put("members_count", Math.max(0, count(x, "members_count") - 1));
      case "treasury_updated" -> {
        Double balance = decimal(p.getValue("new_balance"));
        if (balance != null) {
          JsonObject treasury = x.getJsonObject("treasury", new JsonObject());
          treasury.put(p.getString("token_symbol", "DAARION"), balance);
          x.put("treasury", treasury);
          d.put("treasury_value", sum(treasury));
        }
      }
      case "proposal_created" -> {
        if (proposal != null
            && "active".equals(p.getString("status"))
            && !active.contains(proposal)) {
          active.add(proposal);
        }
        x.put("proposals_total", count(x, "proposals_total") + 1);
      }
      case "proposal_activated" -> {
        if (proposal != null && !active.contains(proposal)) {
          active.add(proposal);
        }
      }
      case "proposal_closed" -> active.remove(proposal);
      case "vote_cast" -> x.put("votes_total", count(x, "votes_total") + 1);
      default -> {}
    }
    x.put("active_proposal_ids", active);
    // An upstream count covers proposals Living Map never saw open; events only move it.
    long base = count(x, "active_proposals_base");
    d.put("active_proposals", base + active.size());
    s.put(dao.withData(d, seq, at).withExtra(x));
  }

  private static void microdaoEvent(
      String kind, JsonObject p, String id, long seq, Instant at, LiveState s) {
    String uuid = p.getString("microdao_id");
    if ("created".equals(kind)) {
      // microdao-service gives a new microDAO the external id microdao:<first 8 hex of its UUID>.
      String newId = s.get(id) != null ? id : microdaoIdForNew(uuid, p.getString("slug"), id);
      if (newId == null) {
        return;
      }
      Entity m = existingOrNew(s, "microdao", newId, at);
      s.alias(uuid, newId);
      JsonObject d = m.data().copy();
      putIfPresent(d, "name", p.getString("name"));
      putIfPresent(d, "slug", p.getString("slug"));
      d.put("status", "active");
      s.put(m.withData(d, seq, at).withExtra(m.extra().copy().put("uuid", uuid)));
      return;
    }
    if (id == null) {
      return;
    }
    if ("deleted".equals(kind)) {
      s.remove(id);
      return;
    }
    Entity m = s.get(id);
    if (m == null) {
      return;
    }
    JsonObject d = m.data().copy();
    JsonObject x = m.extra().copy();
    switch (kind) {
      case "updated" -> {
        if (p.getValue("changes") instanceof JsonObject changes) {
          putIfPresent(d, "name", changes.getString("name"));
          putIfPresent(d, "description", changes.getString("description"));
          if (changes.getValue("is_active") instanceof Boolean active) {
            d.put("status", active ? "active" : "inactive");
          }
        }
      }
      case "member_added" -> d.put("members", count(d, "members") + 1);
      case "member_removed" -> d.put("members", Math.max(0, count(d, "members") - 1));
      case "treasury_updated" -> {
        Double balance = decimal(p.getValue("new_balance"));
        if (balance != null) {
          JsonObject treasury = x.getJsonObject("treasury", new JsonObject());
          treasury.put(p.getString("token_symbol", "DAARION"), balance);
          x.put("treasury", treasury);
        }
      }
      default -> {}
    }
    s.put(m.withData(d, seq, at).withExtra(x));
  }

  private static String microdaoIdForNew(String uuid, String slug, String fallback) {
    if (uuid != null && uuid.length() > 8 && uuid.charAt(8) == '-') {
      return "microdao:" + uuid.substring(0, 8);
    }
    if (slug != null) {
      return "microdao:" + slug;
    }
    return fallback;
  }

  private static String agentRef(JsonObject p, LiveState s) {
    String raw = p.getString("agent_id");
    if (raw == null) {
      return null;
    }
    return s.resolve(EntityIds.canonical("agent", raw));
  }

  /**
   * A copy of {@code o} that shares its nested values: entities are immutable, so a reducer copies
   * only the levels it changes (a deep copy of every entity on every event was most of the
   * reducers' cost). A nested object the reducer changes must be copied the same way first.
   */
  private static JsonObject shallowCopy(JsonObject o) {
    return new JsonObject(new java.util.LinkedHashMap<>(o.getMap()));
  }

  static Entity existingOrNew(LiveState s, String type, String id, Instant at) {
    Entity e = s.get(id);
    if (e != null) {
      return e;
    }
    return new Entity(id, type, EntityTypes.blank(type, id), new JsonObject(), Set.of(), 0, at);
  }

  private static String timestampOf(JsonObject p, Instant fallback) {
    for (String key : new String[] {"ts", "timestamp", "created_at"}) {
      Object v = p.getValue(key);
      if (v instanceof String str && !str.isBlank()) {
        return str;
      }
    }
    return fallback.toString();
  }

  /** A stored number, or 0 when absent or not a number (an upstream may send "n/a"). */
  private static double number(JsonObject o, String key) {
    return o.getValue(key) instanceof Number n ? n.doubleValue() : 0.0;
  }

  /** A stored counter, or 0 when absent or not a number. */
  private static long count(JsonObject o, String key) {
    return o.getValue(key) instanceof Number n ? n.longValue() : 0L;
  }

  private static long longOf(JsonObject p, String key) {
    return p.getValue(key) instanceof Number n ? n.longValue() : 0L;
  }

  /** DAARION sends NUMERIC values as strings ("1002500.00000000"). */
  static Double decimal(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String str) {
      try {
        return Double.parseDouble(str.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static double sum(JsonObject values) {
    double total = 0;
    for (String key : values.fieldNames()) {
      Object v = values.getValue(key);
      if (v instanceof Number n) {
        total += n.doubleValue();
      }
    }
    return total;
  }

  private static void putIfPresent(JsonObject d, String key, Object value) {
    if (value != null) {
      d.put(key, value);
    }
  }
}
