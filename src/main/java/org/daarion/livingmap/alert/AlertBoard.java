package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The alerts the API reads: the active ones (pending and firing), the last {@code keep} resolved
 * ones, and acknowledgements. Written by {@link AlertService} on the state owner's thread only;
 * read from any thread (immutable {@link Alert}s in concurrent maps, the resolved list under its
 * own lock).
 */
final class AlertBoard {
  /** An acknowledgement: who, when, why. */
  record Ack(String by, Instant at, String comment) {}

  private final int keep;
  private final Map<String, Alert> active = new ConcurrentHashMap<>();
  private final ArrayDeque<Alert> recent = new ArrayDeque<>();
  private final Map<String, Ack> acks = new ConcurrentHashMap<>();

  AlertBoard(int keep) {
    this.keep = keep;
  }

  void put(Alert a) {
    active.put(a.id(), a);
  }

  /** Removes an active alert; the one removed, or null. */
  Alert remove(String id) {
    return active.remove(id);
  }

  boolean isActive(String id) {
    return active.containsKey(id);
  }

  /** The active alerts (a live view). */
  Collection<Alert> active() {
    return active.values();
  }

  /** Keeps a resolved alert; the oldest beyond {@code keep} go, with their acknowledgements. */
  void resolved(Alert n) {
    synchronized (recent) {
      recent.removeIf(x -> x.id().equals(n.id()));
      recent.addFirst(n);
      while (recent.size() > keep) {
        acks.remove(recent.removeLast().id());
      }
    }
  }

  void ack(String id, Ack ack) {
    acks.put(id, ack);
  }

  /** Alerts firing now (the resolved list holds resolved ones only). */
  long firingCount() {
    return active.values().stream().filter(a -> Alert.FIRING.equals(a.state())).count();
  }

  /** Every alert pending, firing, or resolved recently; firing first, then newest first. */
  List<Alert> all() {
    List<Alert> out = new ArrayList<>(active.values());
    out.sort(
        Comparator.comparing((Alert x) -> Alert.FIRING.equals(x.state()) ? 0 : 1)
            .thenComparing(Alert::since, Comparator.reverseOrder())
            .thenComparing(Alert::id));
    synchronized (recent) {
      out.addAll(recent);
    }
    return out;
  }

  Optional<Alert> find(String id) {
    Alert a = active.get(id);
    if (a != null) {
      return Optional.of(a);
    }
    synchronized (recent) {
      return recent.stream().filter(x -> x.id().equals(id)).findFirst();
    }
  }

  /** An alert as the API shows it: with its acknowledgement and the silences that cover it. */
  JsonObject view(Alert a, Silences silences) {
    JsonObject j = a.toJson();
    Ack ack = acks.get(a.id());
    j.put("acked", ack != null);
    if (ack != null) {
      j.put("acked_by", ack.by())
          .put("acked_at", ack.at().toString())
          .put("ack_comment", ack.comment());
    }
    List<Silence> s = Alert.RESOLVED.equals(a.state()) ? List.of() : silences.matching(a);
    j.put("silenced", !s.isEmpty());
    if (!s.isEmpty()) {
      j.put("silenced_by", new JsonArray(s.stream().map(Silence::id).toList()));
    }
    return j;
  }
}
