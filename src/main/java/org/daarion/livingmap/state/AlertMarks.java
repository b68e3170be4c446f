package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * How firing alerts show on an entity (issue 9): the entity's {@code data.alerts} lists them, and a
 * node, DAO planet or microDAO whose own status is healthy ({@code online}/{@code active}) shows
 * {@code warning} while an alert of severity {@code warning} or {@code critical} fires on it.
 * Agents and channels list their alerts but keep their status (the contract's agent statuses are
 * online, offline and idle). A status that is already unhealthy ({@code offline}, {@code inactive})
 * is shown as is.
 *
 * <p>The alerts are kept in the entity's {@code extra} ({@link #MARKS}), with the status the entity
 * would have without them ({@link #BASE}) and the status shown ({@link #SHOWN}). Only the {@code
 * living_map.alert.*} events change the marks (through {@link #reduce}, live and on replay alike);
 * every other writer (reducers, poll reconciliation) copies {@code extra} along, and {@link
 * LiveState#put} calls {@link #settle} so that the overlay survives them: a writer that changes
 * {@code status} changes the base status, one that leaves the shown status as it was changes
 * nothing. Limitation: a writer that sets exactly the shown status ({@code warning}) while an alert
 * fires is taken as leaving it unchanged; the base then catches up with the writer's next change.
 */
public final class AlertMarks {
  private AlertMarks() {}

  public static final String PREFIX = "living_map.alert.";
  public static final String FIRING = "living_map.alert.firing";
  public static final String RESOLVED = "living_map.alert.resolved";
  public static final String ACKNOWLEDGED = "living_map.alert.acknowledged";

  static final String MARKS = "alert_marks";
  static final String BASE = "status_without_alerts";
  static final String SHOWN = "status_with_alerts";

  private static final Set<String> OVERLAID_TYPES = Set.of("node", "dao", "microdao");
  private static final Set<String> HEALTHY = Set.of("online", "active");

  /**
   * The entity's data as it would be without its alerts (its own status), for rules to look at: a
   * rule on {@code status} must not see the warning that alerts themselves put there.
   */
  public static JsonObject ownData(Entity e) {
    if (!(e.extra().getValue(MARKS) instanceof JsonArray)) {
      return e.data();
    }
    return e.data().copy().put("status", e.extra().getString(BASE));
  }

  /** The fields of a mark, as {@code data.alerts} items show them. */
  static JsonObject mark(JsonObject payload) {
    JsonObject m = new JsonObject();
    for (String key : new String[] {"id", "rule", "severity", "message", "since", "labels"}) {
      if (payload.containsKey(key)) {
        m.put(key, payload.getValue(key));
      }
    }
    m.put("state", "firing");
    return m;
  }

  /** Applies a {@code living_map.alert.*} event; unknown entities and ids change nothing. */
  static void reduce(
      String subject, JsonObject p, String entityId, long seq, Instant at, LiveState s) {
    Entity e = entityId == null ? null : s.get(entityId);
    String alertId = p.getString("id");
    if (e == null || alertId == null) {
      return;
    }
    JsonArray marks = e.extra().getJsonArray(MARKS, new JsonArray()).copy();
    int index = indexOf(marks, alertId);
    switch (subject) {
      case FIRING -> {
        if (index >= 0) {
          marks.remove(index);
        }
        marks.add(mark(p));
      }
      case RESOLVED -> {
        if (index < 0) {
          return;
        }
        marks.remove(index);
      }
      case ACKNOWLEDGED -> {
        if (index < 0) {
          return;
        }
        JsonObject m = marks.getJsonObject(index).copy();
        m.put("acked", true)
            .put("acked_by", p.getString("acked_by"))
            .put("acked_at", p.getString("acked_at"));
        marks.set(index, m);
      }
      default -> {
        return;
      }
    }
    if (marks.isEmpty() && !e.extra().containsKey(MARKS)) {
      return;
    }
    s.put(e.withData(e.data(), seq, at).withExtra(e.extra().copy().put(MARKS, marks)));
  }

  private static int indexOf(JsonArray marks, String alertId) {
    for (int i = 0; i < marks.size(); i++) {
      if (marks.getValue(i) instanceof JsonObject m && alertId.equals(m.getString("id"))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The entity as it must be stored: with its marks shown in {@code data.alerts} and the status
   * overlay applied; the same entity when it has no marks (the cheap, common case).
   */
  static Entity settle(Entity next) {
    if (!(next.extra().getValue(MARKS) instanceof JsonArray marks)) {
      return next;
    }
    JsonObject d = next.data().copy();
    JsonObject x = next.extra().copy();
    String written = d.getString("status");
    String base =
        x.containsKey(SHOWN) && Objects.equals(written, x.getString(SHOWN))
            ? x.getString(BASE)
            : written;
    if (marks.isEmpty()) {
      x.remove(MARKS);
      x.remove(BASE);
      x.remove(SHOWN);
      d.put("status", base);
      d.put("alerts", new JsonArray());
    } else {
      String shown = shown(next.type(), base, marks);
      x.put(BASE, base).put(SHOWN, shown);
      d.put("status", shown);
      d.put("alerts", marks.copy());
    }
    return new Entity(next.id(), next.type(), d, x, next.sources(), next.seq(), next.updatedAt());
  }

  private static String shown(String type, String base, JsonArray marks) {
    if (!OVERLAID_TYPES.contains(type) || base != null && !HEALTHY.contains(base)) {
      return base;
    }
    for (Object o : marks) {
      if (o instanceof JsonObject m && !"info".equals(m.getString("severity"))) {
        return "warning";
      }
    }
    return base;
  }
}
