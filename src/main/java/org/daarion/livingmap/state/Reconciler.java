package org.daarion.livingmap.state;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.UpstreamPoll;
import org.slf4j.LoggerFactory;

/**
 * Merges upstream polls into the live state (DESIGN: "upstream polls reconcile"). Polls decide
 * which entities exist; every change a poll finds becomes an event ({@code
 * living_map.entity.added}, {@code .updated}, {@code .removed}) so stream clients and history see
 * it, whoever made it. Owned by the state owner's thread.
 */
final class Reconciler {
  static final String ADDED = "living_map.entity.added";
  static final String UPDATED = "living_map.entity.updated";
  static final String REMOVED = "living_map.entity.removed";

  /**
   * Cluster mode: what a poll taught about an entity besides its map fields: the upstream {@code
   * extra} fields it brought (merged) and the sources that list it ({@code sources}, the whole
   * set).
   */
  static final String META = "living_map.entity.meta";

  /** Cluster mode: upstream keys learned by a poll ({@code aliases}: key to entity id). */
  static final String ALIASES = "living_map.entity.aliases";

  /** Consecutive successful polls an entity must be missing from before it leaves the map. */
  static final int MISSES_TO_REMOVE = 2;

  /** Emits a derived event and returns the seq it was given. */
  interface Emitter {
    long emit(String subject, String entityId, String entityType, JsonObject payload);
  }

  private final Map<String, Integer> misses = new HashMap<>();

  /** Upstream records skipped for {@link EntityBytes#MAX}; read from other threads. */
  private final AtomicLong oversized = new AtomicLong();

  long oversizedCount() {
    return oversized.get();
  }

  /** Whether {@code e} exceeds the entity byte bound; counted, and logged sparingly. */
  private boolean oversized(Entity e) {
    String reason = EntityBytes.overLimit(e);
    if (reason == null) {
      return false;
    }
    long n = oversized.incrementAndGet();
    if (n <= 10 || Long.bitCount(n) == 1) {
      LoggerFactory.getLogger(Reconciler.class)
          .warn("upstream record skipped: {} [{} so far]", reason, n);
    }
    return true;
  }

  /**
   * Cluster mode: the reconciler works on a scratch copy and only its events reach the replicas'
   * states, so what it learns besides map fields (aliases, extra fields, source sets) is emitted
   * too ({@link #ALIASES}, {@link #META}).
   */
  private boolean replicateMeta;

  void replicateMeta() {
    this.replicateMeta = true;
  }

  void apply(UpstreamPoll poll, LiveState s, Emitter emitter, Instant at) {
    String source = poll.source();
    Set<String> seen = new HashSet<>();
    JsonObject learned = new JsonObject();
    for (EntityPatch patch : poll.patches()) {
      for (String alias : patch.aliases()) {
        if (s.alias(alias, patch.id()) && replicateMeta) {
          learned.put(alias, patch.id());
        }
      }
    }
    if (!learned.isEmpty()) {
      emitter.emit(ALIASES, null, null, new JsonObject().put("aliases", learned));
    }
    for (EntityPatch patch : poll.patches()) {
      String id = s.resolve(patch.id());
      boolean complete = poll.completeTypes().contains(patch.type());
      Entity existing = s.get(id);
      if (existing == null) {
        if (!complete) {
          continue;
        }
        seen.add(id);
        JsonObject data = EntityTypes.blank(patch.type(), id).mergeIn(patch.fields().copy(), true);
        data.put("id", id);
        if (oversized(new Entity(id, patch.type(), data, patch.extra(), Set.of(source), 0, at))) {
          continue;
        }
        long seq =
            emitter.emit(
                ADDED,
                id,
                patch.type(),
                new JsonObject()
                    .put("entity_id", id)
                    .put("entity_type", patch.type())
                    .put("source", source)
                    .put("entity", data));
        s.put(new Entity(id, patch.type(), data, patch.extra().copy(), Set.of(source), seq, at));
        if (replicateMeta && !patch.extra().isEmpty()) {
          emitMeta(emitter, id, patch.type(), patch.extra(), Set.of(source));
        }
        continue;
      }
      if (complete) {
        seen.add(id);
        misses.remove(key(source, id));
      }
      if (id.equals(existing.data().getValue("id"))
          && restates(existing.data(), patch.fields())
          && restates(existing.extra(), patch.extra())
          && (!complete || existing.sources().contains(source))) {
        // Nothing to merge: skip the copies below, which at 100x were a copy of all 27,700
        // entities every poll (the largest allocation while a poll is applied).
        continue;
      }
      JsonObject merged = existing.data().copy().mergeIn(patch.fields().copy(), true);
      merged.put("id", id);
      JsonObject extra = existing.extra().copy().mergeIn(patch.extra().copy(), true);
      Set<String> sources = new HashSet<>(existing.sources());
      if (complete) {
        sources.add(source);
      }
      JsonObject changes = changes(existing.data(), merged);
      if (changes.isEmpty()
          && extra.equals(existing.extra())
          && sources.equals(existing.sources())) {
        // Unchanged: keep the instance, so the snapshot encoder keeps its bytes (at 100x a poll
        // restates 27,700 entities, nearly all unchanged) and the state version stays.
        continue;
      }
      Entity next = existing.withExtra(extra).withSources(sources);
      if (oversized(next.withData(merged, existing.seq(), at))) {
        continue; // the entity keeps what it had
      }
      if (!changes.isEmpty()) {
        long seq =
            emitter.emit(
                UPDATED,
                id,
                existing.type(),
                new JsonObject()
                    .put("entity_id", id)
                    .put("entity_type", existing.type())
                    .put("source", source)
                    .put("changes", changes));
        next = next.withData(merged, seq, at);
      }
      if (replicateMeta
          && (!extra.equals(existing.extra()) || !sources.equals(existing.sources()))) {
        emitMeta(emitter, id, existing.type(), patch.extra(), sources);
      }
      s.put(next);
    }
    for (String type : poll.completeTypes()) {
      for (Entity e : List.copyOf(s.entities())) {
        if (!e.type().equals(type) || seen.contains(e.id())) {
          continue;
        }
        if (!e.sources().isEmpty() && !e.sources().contains(source)) {
          continue;
        }
        int n = misses.merge(key(source, e.id()), 1, Integer::sum);
        if (n < MISSES_TO_REMOVE) {
          continue;
        }
        misses.remove(key(source, e.id()));
        Set<String> left = new HashSet<>(e.sources());
        left.remove(source);
        if (!left.isEmpty()) {
          s.put(e.withSources(left));
          if (replicateMeta) {
            emitMeta(emitter, e.id(), e.type(), new JsonObject(), left);
          }
          continue;
        }
        s.remove(e.id());
        emitter.emit(
            REMOVED,
            e.id(),
            e.type(),
            new JsonObject()
                .put("entity_id", e.id())
                .put("entity_type", e.type())
                .put("source", source));
      }
    }
  }

  private static void emitMeta(
      Emitter emitter, String id, String type, JsonObject extra, Set<String> sources) {
    emitter.emit(
        META,
        id,
        type,
        new JsonObject()
            .put("entity_id", id)
            .put("entity_type", type)
            .put("extra", extra.copy())
            .put(
                "sources",
                new io.vertx.core.json.JsonArray(
                    new java.util.ArrayList<>(new java.util.TreeSet<>(sources)))));
  }

  /**
   * Whether a deep {@code mergeIn} of {@code patch} into {@code base} would leave it equal. Strict:
   * a value of another class (an Integer for a Long, a Map for a JsonObject) counts as a change,
   * and the full merge then decides.
   */
  static boolean restates(JsonObject base, JsonObject patch) {
    for (String key : patch.fieldNames()) {
      Object p = patch.getValue(key);
      if (!base.containsKey(key)) {
        return false;
      }
      Object b = base.getValue(key);
      if (p instanceof JsonObject po && b instanceof JsonObject bo) {
        if (!restates(bo, po)) {
          return false;
        }
      } else if (p == null
          ? b != null
          : p.getClass() != (b == null ? null : b.getClass()) || !p.equals(b)) {
        return false;
      }
    }
    return true;
  }

  /** Top-level fields whose values differ, with their new values. */
  static JsonObject changes(JsonObject before, JsonObject after) {
    JsonObject out = new JsonObject();
    for (String key : after.fieldNames()) {
      Object a = after.getValue(key);
      Object b = before.getValue(key);
      if (a == null ? b != null : !a.equals(b)) {
        out.put(key, a);
      }
    }
    for (String key : before.fieldNames()) {
      if (!after.containsKey(key)) {
        out.putNull(key);
      }
    }
    return out;
  }

  private static String key(String source, String id) {
    return source + "|" + id;
  }
}
