package org.daarion.livingmap.alert;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

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

  public Silences(Clock clock) {
    this.clock = clock;
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
    return s;
  }

  public boolean remove(String id) {
    return byId.remove(id) != null;
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
