package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The silences, in memory. Thread-safe: the API adds and deletes from event loops, the service
 * reads on the state owner's thread. Expired silences stay listed (state {@code expired}) for
 * {@link #KEEP_EXPIRED}, then go.
 */
public final class Silences {
  /** How long an expired silence stays listed. */
  static final Duration KEEP_EXPIRED = Duration.ofHours(24);

  /** Silences held at most; adding beyond it is refused. */
  static final int MAX = 10_000;

  private final Map<String, Silence> byId = new ConcurrentHashMap<>();
  private final Clock clock;

  /** Cluster mode: where changes made here are published (the shared stream); else null. */
  private volatile BiConsumer<String, JsonObject> replicate;

  /** Told after a silence is added or removed here (a single instance stores them soon). */
  private volatile Runnable changed = () -> {};

  public Silences(Clock clock) {
    this.clock = clock;
  }

  /**
   * Cluster mode: silences added or removed here are also published ({@link
   * AlertOperatorEvents#SILENCE_CREATED}, {@code SILENCE_DELETED}); every replica applies them when
   * they come back ({@link #applyCreated}, {@link #applyDeleted}), this one included (idempotent).
   */
  void replicateTo(BiConsumer<String, JsonObject> publisher) {
    this.replicate = publisher;
  }

  /**
   * Runs {@code listener} after each silence added or removed through {@link #add} or {@link
   * #remove}: a single instance has no stream to keep them, only the stored snapshot.
   */
  public void onChange(Runnable listener) {
    this.changed = listener;
  }

  /** A silence created on some replica (read back from the stream) or kept in a stored snapshot. */
  boolean applyCreated(JsonObject j) {
    Silence s = fromJson(j);
    if (s == null) {
      return false;
    }
    purge();
    if (byId.size() >= MAX && !byId.containsKey(s.id())) {
      return false;
    }
    byId.put(s.id(), s);
    return true;
  }

  /** Every silence held, as the stored snapshot keeps them ({@link #restore} reads them back). */
  public JsonArray toJson() {
    Instant now = clock.instant();
    JsonArray out = new JsonArray();
    for (Silence s : all()) {
      out.add(s.toJson(now));
    }
    return out;
  }

  /**
   * Silences kept in a stored snapshot, taken back at start-up; entries that do not read as a
   * silence are skipped. Returns how many were taken.
   */
  public int restore(JsonArray stored) {
    int taken = 0;
    for (Object o : stored) {
      if (o instanceof JsonObject j && applyCreated(j)) {
        taken++;
      }
    }
    return taken;
  }

  /** Cluster mode: a silence deleted on some replica, read back from the stream. */
  void applyDeleted(String id) {
    if (id != null) {
      byId.remove(id);
    }
  }

  private static Silence fromJson(JsonObject j) {
    try {
      String id = j.getString("id");
      JsonObject m = j.getJsonObject("matchers", new JsonObject());
      Instant starts = AlertOperatorEvents.instant(j.getValue("starts_at"));
      Instant expires = AlertOperatorEvents.instant(j.getValue("expires_at"));
      String sev = m.getString("severity");
      Severity severity = Severity.parse(sev);
      if (id == null || starts == null || expires == null || (sev != null && severity == null)) {
        return null;
      }
      return new Silence(
          id,
          m.getString("rule"),
          m.getString("entity_id"),
          severity,
          starts,
          expires,
          j.getString("comment"),
          j.getString("created_by"));
    } catch (ClassCastException e) {
      return null;
    }
  }

  /** Adds a silence; throws {@link IllegalStateException} when {@link #MAX} are held. */
  public Silence add(
      String rule,
      String entityId,
      Severity severity,
      Instant expiresAt,
      String comment,
      String by) {
    purge();
    if (byId.size() >= MAX) {
      throw new IllegalStateException("too many silences (" + MAX + ")");
    }
    Silence s =
        new Silence(
            "silence-" + UUID.randomUUID().toString().substring(0, 8),
            rule,
            entityId,
            severity,
            clock.instant(),
            expiresAt,
            comment,
            by);
    byId.put(s.id(), s);
    BiConsumer<String, JsonObject> r = replicate;
    if (r != null) {
      r.accept(AlertOperatorEvents.SILENCE_CREATED, s.toJson(s.startsAt()));
    }
    changed.run();
    return s;
  }

  public boolean remove(String id) {
    boolean removed = byId.remove(id) != null;
    BiConsumer<String, JsonObject> r = replicate;
    if (removed && r != null) {
      r.accept(AlertOperatorEvents.SILENCE_DELETED, new JsonObject().put("id", id));
    }
    if (removed) {
      changed.run();
    }
    return removed;
  }

  /** Active silences matching {@code a}; empty when it is not silenced. */
  public List<Silence> matching(Alert a) {
    if (byId.isEmpty()) {
      return List.of();
    }
    Instant now = clock.instant();
    List<Silence> out = new ArrayList<>(1);
    for (Silence s : byId.values()) {
      if (s.activeAt(now) && s.matches(a)) {
        out.add(s);
      }
    }
    return out;
  }

  public boolean silenced(Alert a) {
    return !matching(a).isEmpty();
  }

  /** Every silence held, newest first. */
  public List<Silence> all() {
    purge();
    List<Silence> out = new ArrayList<>(byId.values());
    out.sort(Comparator.comparing(Silence::startsAt).reversed().thenComparing(Silence::id));
    return out;
  }

  Instant now() {
    return clock.instant();
  }

  private void purge() {
    Instant cutoff = clock.instant().minus(KEEP_EXPIRED);
    byId.values().removeIf(s -> s.expiresAt().isBefore(cutoff));
  }
}
