package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.Entity;

/**
 * Cluster mode: alert decisions and operator actions as the shared stream carries them. Silences
 * travel as {@code living_map.alert.silence.created} (the silence as the API shows it) and {@code
 * living_map.alert.silence.deleted} ({@code {id}}), acknowledgements as {@code
 * living_map.alert.acknowledged}, decisions as {@code living_map.alert.firing} / {@code .resolved}
 * ({@link Alert#toJson}). All are under {@code living_map.>}, which the stream covers, so history
 * and time travel hold them in stream order. Parsing is lenient: a payload that does not read as
 * what it should is ignored (null), never thrown on the state owner's thread.
 */
final class AlertOperatorEvents {
  private AlertOperatorEvents() {}

  static final String SILENCE_CREATED = "living_map.alert.silence.created";
  static final String SILENCE_DELETED = "living_map.alert.silence.deleted";

  /** An operator action replayed from storage, as the event the live stream would carry. */
  static Event replayed(String subject, JsonObject payload) {
    return new Event(
        0, null, Instant.EPOCH, subject, null, null, "living-map-service", payload, null, null);
  }

  /**
   * The payload of {@code living_map.alert.acknowledged} (cluster mode adds the entity, so every
   * replica marks it).
   */
  static JsonObject acknowledged(Alert a, String by, Instant at, String comment) {
    return new JsonObject()
        .put("id", a.id())
        .put("rule", a.rule())
        .put("acked_by", by)
        .put("acked_at", at.toString())
        .put("comment", comment);
  }

  /** An entity's alert mark that no running service raised, resolved because of a restart. */
  static JsonObject resolvedOnRestart(JsonObject mark, Entity e, Instant at) {
    return mark.copy()
        .put("state", Alert.RESOLVED)
        .put("entity_id", e.id())
        .put("entity_type", e.type())
        .put("ends_at", at.toString())
        .put("reason", "restart");
  }

  /** An alert from its JSON ({@link Alert#toJson}), or null. */
  static Alert alert(JsonObject j) {
    try {
      String id = j.getString("id");
      String rule = j.getString("rule");
      String state = j.getString("state");
      Severity severity = Severity.parse(j.getString("severity"));
      Instant activeAt = instant(j.getValue("active_at"));
      if (id == null || rule == null || state == null || severity == null || activeAt == null) {
        return null;
      }
      return new Alert(
          id,
          rule,
          state,
          severity,
          j.getString("entity_id"),
          j.getString("entity_type"),
          j.getString("key"),
          j.getString("source"),
          j.getValue("value"),
          j.getString("message"),
          labels(j.getValue("labels")),
          activeAt,
          instant(j.getValue("starts_at")),
          instant(j.getValue("ends_at")));
    } catch (ClassCastException e) {
      return null;
    }
  }

  /** A firing alert from an entity's {@code alerts} item (a restored state's), or null. */
  static Alert fromMark(JsonObject m, String entityId, String entityType) {
    try {
      String id = m.getString("id");
      String rule = m.getString("rule");
      Severity severity = Severity.parse(m.getString("severity"));
      Instant since = instant(m.getValue("since"));
      if (id == null || rule == null || severity == null || since == null) {
        return null;
      }
      return new Alert(
          id,
          rule,
          Alert.FIRING,
          severity,
          entityId,
          entityType,
          entityId,
          null,
          null,
          m.getString("message"),
          labels(m.getValue("labels")),
          since,
          since,
          null);
    } catch (ClassCastException e) {
      return null;
    }
  }

  static Instant instant(Object v) {
    if (!(v instanceof String s)) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Map<String, String> labels(Object v) {
    Map<String, String> out = new LinkedHashMap<>();
    if (v instanceof JsonObject o) {
      for (String k : o.fieldNames()) {
        Object x = o.getValue(k);
        if (x != null) {
          out.put(k, x.toString());
        }
      }
    }
    return out;
  }
}
