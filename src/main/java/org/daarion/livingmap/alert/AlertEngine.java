package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.AlertMarks;
import org.daarion.livingmap.state.Entity;

/**
 * The alert state machine: evaluates rules on entity changes, events and clock ticks and records
 * what changed. Pure logic with no threads or I/O; every method runs on one thread (the state
 * owner's, in the service), and time comes in as an argument, so tests drive it with a fake clock.
 *
 * <p>Lifecycle per rule and key: the condition starts to hold → {@code pending}; it holds for the
 * rule's {@code for} → {@code firing}; the clear condition ({@code clear_value}, {@code
 * clear_threshold}) stops holding for {@code keep_firing_for} → {@code resolved}. A pending alert
 * whose condition stops holding is dropped. One alert per rule and key at a time (de-duplication);
 * a value oscillating between the clear value and the threshold keeps a firing alert firing
 * (hysteresis).
 *
 * <p>Cost per event: a lookup of the rules for the subject (cached per subject) and, per batch, one
 * evaluation per rule of each changed entity's type; nothing is rendered until an alert fires.
 */
final class AlertEngine {
  /** Keys one rate rule counts at most; events with new keys beyond it are not counted. */
  static final int MAX_KEYS_PER_RULE = 10_000;

  /** Distinct subjects whose matching rate rules are cached. */
  static final int SUBJECT_CACHE = 4096;

  /** What changed, in order; drained by the service. */
  record Change(Alert alert, Alert previous) {}

  private static final class Instance {
    final AlertRule rule;
    final String mapKey;
    Alert alert;
    long activeSince;
    long clearSince = -1;

    Instance(AlertRule rule, String mapKey, Alert alert, long activeSince) {
      this.rule = rule;
      this.mapKey = mapKey;
      this.alert = alert;
      this.activeSince = activeSince;
    }
  }

  private final List<AlertRule> rules;
  private final Map<String, List<AlertRule>> entityRules = new HashMap<>();
  private final List<AlertRule> rateRules = new ArrayList<>();
  private final List<AlertRule> sourceRules = new ArrayList<>();
  private final Map<String, List<AlertRule>> rateBySubject = new HashMap<>();
  private final Map<AlertRule, Map<String, RateWindow>> windows = new HashMap<>();
  private final Map<String, Instance> instances = new LinkedHashMap<>();
  private final Map<String, Set<Instance>> byEntity = new HashMap<>();
  private final Function<String, Entity> entities;
  private final List<Change> changes = new ArrayList<>();
  private long evaluations;
  private long droppedKeys;

  /**
   * Cluster mode: the stream position being evaluated, which names the episodes that start there
   * (see {@link #alertIdAt}); -1 in a single instance, where an episode is named by its start time.
   */
  private long position = -1;

  /**
   * @param entities the live entity for an id (or null), to render messages when a pending alert
   *     fires on a tick
   */
  AlertEngine(List<AlertRule> rules, Function<String, Entity> entities) {
    this.rules = List.copyOf(rules);
    this.entities = entities;
    for (AlertRule r : rules) {
      switch (r.kind()) {
        case ENTITY -> entityRules.computeIfAbsent(r.entityType(), k -> new ArrayList<>()).add(r);
        case RATE -> {
          rateRules.add(r);
          windows.put(r, new HashMap<>());
        }
        case SOURCE -> sourceRules.add(r);
      }
    }
  }

  List<AlertRule> rules() {
    return rules;
  }

  /** Cluster mode: what follows is evaluated at this stream position. */
  void at(long streamPosition) {
    this.position = streamPosition;
  }

  /**
   * Cluster mode: takes a decision the lease holder published (an alert firing or resolved, read
   * back from the stream at its position), so that every replica holds what the holder decided even
   * where its own clock would have decided a little earlier or later. Matched by rule and key: a
   * pending episode this replica named differently (it started reading the stream later) is
   * replaced by the holder's. Records no change: the decision is already on the stream.
   *
   * @return what this engine held for that rule and key before, or null
   */
  Alert follow(Alert a) {
    AlertRule r = null;
    for (AlertRule x : rules) {
      if (x.name().equals(a.rule())) {
        r = x;
        break;
      }
    }
    if (r == null || a.key() == null) {
      return null;
    }
    String mk = mapKey(r, a.key());
    Instance in = instances.get(mk);
    Alert previous = in == null ? null : in.alert;
    if (Alert.FIRING.equals(a.state())) {
      if (in == null) {
        in = new Instance(r, mk, a, a.activeAt().toEpochMilli());
        instances.put(mk, in);
        if (a.entityId() != null) {
          byEntity.computeIfAbsent(a.entityId(), k -> new LinkedHashSet<>()).add(in);
        }
      } else {
        in.alert = a;
        in.activeSince = a.activeAt().toEpochMilli();
        in.clearSince = -1;
      }
      return previous;
    }
    if (in != null && in.alert.id().equals(a.id())) {
      remove(in);
      return previous;
    }
    return null;
  }

  /** True when some rule looks at entities of this type. */
  boolean watches(String entityType) {
    return entityType != null && entityRules.containsKey(entityType);
  }

  boolean watchesEntities() {
    return !entityRules.isEmpty();
  }

  long evaluations() {
    return evaluations;
  }

  long droppedKeys() {
    return droppedKeys;
  }

  /** The changes since the last call, oldest first. */
  List<Change> drain() {
    if (changes.isEmpty()) {
      return List.of();
    }
    List<Change> out = List.copyOf(changes);
    changes.clear();
    return out;
  }

  boolean hasChanges() {
    return !changes.isEmpty();
  }

  /** Alerts pending or firing now. */
  List<Alert> active() {
    List<Alert> out = new ArrayList<>(instances.size());
    for (Instance in : instances.values()) {
      out.add(in.alert);
    }
    return out;
  }

  /**
   * Evaluates the entity rules of {@code id}'s type on its current state; {@code entity} null means
   * it left the map, which resolves its alerts at once.
   */
  void onEntity(String id, Entity entity, long now) {
    if (entity == null) {
      Set<Instance> of = byEntity.get(id);
      if (of != null) {
        for (Instance in : List.copyOf(of)) {
          end(in, now, in.alert.value());
        }
      }
      return;
    }
    List<AlertRule> list = entityRules.get(entity.type());
    if (list == null) {
      return;
    }
    JsonObject data = AlertMarks.ownData(entity);
    for (AlertRule r : list) {
      evaluations++;
      boolean applies = r.where().isEmpty() || r.whereMatches(data);
      Object v = applies ? r.field().get(data) : null;
      boolean fire = applies && r.op().test(v, r.value());
      boolean hold = applies && r.op().test(v, r.clearValue());
      evaluate(r, entity.id(), entity.id(), entity.type(), null, fire, hold, v, now);
    }
  }

  /** Counts the event for every rate rule its subject and payload match. */
  void onEvent(Event e, long now) {
    if (rateRules.isEmpty()) {
      return;
    }
    List<AlertRule> matching = rateRulesFor(e.eventType());
    for (int i = 0; i < matching.size(); i++) {
      AlertRule r = matching.get(i);
      evaluations++;
      if (!r.where().isEmpty() && !r.whereMatches(e.payload())) {
        continue;
      }
      String key = rateKey(r, e);
      if (key == null) {
        continue;
      }
      Map<String, RateWindow> perKey = windows.get(r);
      RateWindow w = perKey.get(key);
      if (w == null) {
        if (perKey.size() >= MAX_KEYS_PER_RULE) {
          droppedKeys++;
          continue;
        }
        w = new RateWindow(r.window().toMillis());
        perKey.put(key, w);
      }
      w.add(now);
      long count = w.count(now);
      boolean entityKey = "entity".equals(r.per());
      evaluate(
          r,
          key,
          entityKey ? key : null,
          entityKey ? e.entityType() : null,
          null,
          count > r.threshold(),
          count > r.clearThreshold(),
          count,
          now);
    }
  }

  private List<AlertRule> rateRulesFor(String subject) {
    List<AlertRule> cached = rateBySubject.get(subject);
    if (cached != null) {
      return cached;
    }
    List<AlertRule> out = new ArrayList<>(1);
    for (AlertRule r : rateRules) {
      if (r.matchesSubject(subject)) {
        out.add(r);
      }
    }
    out = out.isEmpty() ? List.of() : List.copyOf(out);
    if (rateBySubject.size() < SUBJECT_CACHE) {
      rateBySubject.put(subject, out);
    }
    return out;
  }

  private static String rateKey(AlertRule r, Event e) {
    return switch (r.per()) {
      case "entity" -> e.entityId();
      case "none" -> "*";
      default -> {
        Object v = e.payload().getValue(r.per());
        yield v == null ? null : v.toString();
      }
    };
  }

  /**
   * Advances time: rate windows decay, source rules see {@code sources} (name → status object with
   * {@code state}; null: no source status known), pending alerts whose {@code for} has passed fire
   * and firing alerts whose clear condition has held long enough resolve.
   */
  void tick(long now, JsonObject sources) {
    for (Map.Entry<AlertRule, Map<String, RateWindow>> en : windows.entrySet()) {
      AlertRule r = en.getKey();
      Iterator<Map.Entry<String, RateWindow>> it = en.getValue().entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, RateWindow> w = it.next();
        long count = w.getValue().count(now);
        Instance in = instances.get(mapKey(r, w.getKey()));
        if (in == null) {
          if (count == 0) {
            it.remove();
          }
          continue;
        }
        evaluations++;
        evaluate(
            r,
            w.getKey(),
            in.alert.entityId(),
            in.alert.entityType(),
            null,
            count > r.threshold(),
            count > r.clearThreshold(),
            count,
            now);
      }
    }
    if (!sourceRules.isEmpty()) {
      JsonObject all = sources == null ? new JsonObject() : sources;
      for (AlertRule r : sourceRules) {
        Set<String> seen = new LinkedHashSet<>();
        for (String name : all.fieldNames()) {
          if (!"*".equals(r.source()) && !r.source().equals(name)) {
            continue;
          }
          Object status = all.getValue(name);
          if (!(status instanceof JsonObject s)) {
            continue;
          }
          seen.add(name);
          evaluations++;
          Object v = r.field().get(s);
          evaluate(
              r,
              name,
              null,
              null,
              name,
              r.op().test(v, r.value()),
              r.op().test(v, r.clearValue()),
              v,
              now);
        }
        for (Instance in : List.copyOf(instances.values())) {
          if (in.rule == r && !seen.contains(in.alert.key())) {
            evaluate(
                r,
                in.alert.key(),
                null,
                null,
                in.alert.source(),
                false,
                false,
                in.alert.value(),
                now);
          }
        }
      }
    }
    for (Instance in : List.copyOf(instances.values())) {
      if (!instances.containsKey(in.mapKey)) {
        continue;
      }
      if (Alert.PENDING.equals(in.alert.state())) {
        if (now - in.activeSince >= in.rule.forDuration().toMillis()) {
          fire(in, now, in.alert.value());
        }
      } else if (in.clearSince >= 0 && now - in.clearSince >= in.rule.keepFiringFor().toMillis()) {
        end(in, now, in.alert.value());
      }
    }
  }

  private static String mapKey(AlertRule r, String key) {
    return r.name() + '\u0000' + key;
  }

  private void evaluate(
      AlertRule r,
      String key,
      String entityId,
      String entityType,
      String source,
      boolean fire,
      boolean hold,
      Object value,
      long now) {
    String mk = mapKey(r, key);
    Instance in = instances.get(mk);
    if (in == null) {
      if (!fire) {
        return;
      }
      String id = position >= 0 ? alertIdAt(r, key, position) : alertId(r, key, now);
      Alert a =
          new Alert(
              id,
              r.name(),
              Alert.PENDING,
              r.severity(),
              entityId,
              entityType,
              key,
              source,
              value,
              null,
              r.labels(),
              Instant.ofEpochMilli(now),
              null,
              null);
      in = new Instance(r, mk, a, now);
      instances.put(mk, in);
      if (entityId != null) {
        byEntity.computeIfAbsent(entityId, k -> new LinkedHashSet<>()).add(in);
      }
      changes.add(new Change(a, null));
      if (r.forDuration().isZero()) {
        fire(in, now, value);
      }
      return;
    }
    if (Alert.PENDING.equals(in.alert.state())) {
      if (!fire) {
        remove(in);
        changes.add(
            new Change(in.alert.withState(Alert.RESOLVED, value, null, null, null), in.alert));
      } else if (now - in.activeSince >= r.forDuration().toMillis()) {
        fire(in, now, value);
      }
      return;
    }
    if (hold) {
      in.clearSince = -1;
      return;
    }
    if (in.clearSince < 0) {
      in.clearSince = now;
    }
    if (now - in.clearSince >= r.keepFiringFor().toMillis()) {
      end(in, now, value);
    }
  }

  private void fire(Instance in, long now, Object value) {
    Alert prev = in.alert;
    String message = render(in.rule, prev, value);
    in.alert = prev.withState(Alert.FIRING, value, message, Instant.ofEpochMilli(now), null);
    in.clearSince = -1;
    changes.add(new Change(in.alert, prev));
  }

  private void end(Instance in, long now, Object value) {
    Alert prev = in.alert;
    remove(in);
    if (!Alert.FIRING.equals(prev.state())) {
      changes.add(new Change(prev.withState(Alert.RESOLVED, value, null, null, null), prev));
      return;
    }
    in.alert =
        prev.withState(
            Alert.RESOLVED, value, prev.message(), prev.startsAt(), Instant.ofEpochMilli(now));
    changes.add(new Change(in.alert, prev));
  }

  private void remove(Instance in) {
    instances.remove(in.mapKey);
    String entityId = in.alert.entityId();
    if (entityId != null) {
      Set<Instance> of = byEntity.get(entityId);
      if (of != null) {
        of.remove(in);
        if (of.isEmpty()) {
          byEntity.remove(entityId);
        }
      }
    }
  }

  private String render(AlertRule r, Alert a, Object value) {
    Entity entity = a.entityId() == null ? null : entities.apply(a.entityId());
    JsonObject data = entity == null ? new JsonObject() : entity.data();
    return r.message()
        .render(
            name ->
                switch (name) {
                  case "value" -> value;
                  case "rule" -> r.name();
                  case "severity" -> r.severity().label();
                  case "key" -> a.key();
                  case "entity_id" -> a.entityId();
                  case "source" -> a.source();
                  case "field" -> r.field() == null ? null : r.field().text();
                  case "threshold" ->
                      r.kind() == AlertRule.Kind.RATE ? (Object) r.threshold() : r.value();
                  case "window" -> human(r.window());
                  default -> {
                    if (name.startsWith("labels.")) {
                      yield r.labels().get(name.substring(7));
                    }
                    if (name.equals("entity.name") && data.getValue("name") == null) {
                      yield a.entityId() != null ? a.entityId() : a.key();
                    }
                    yield FieldPath.of(name.substring(7)).get(data);
                  }
                });
  }

  static String human(Duration d) {
    if (d == null || d.isZero()) {
      return "0s";
    }
    long s = d.toSeconds();
    if (s == 0) {
      return d.toMillis() + "ms";
    }
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  /**
   * Cluster mode: the id of the episode of the rule on the key that began at this stream position;
   * every replica applies the same events in the same order, so every replica names it the same.
   */
  static String alertIdAt(AlertRule r, String key, long streamPosition) {
    return alertId(r, key + "\u0000seq", streamPosition);
  }

  /** A stable id for this episode of the rule on the key. */
  static String alertId(AlertRule r, String key, long activeSince) {
    UUID u =
        UUID.nameUUIDFromBytes(
            (r.name() + '\u0000' + key + '\u0000' + activeSince).getBytes(StandardCharsets.UTF_8));
    return "alert-" + u.toString().replace("-", "").substring(0, 16);
  }
}
