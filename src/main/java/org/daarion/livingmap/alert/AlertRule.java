package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.event.Subject;

/**
 * One alert rule, validated (see {@link AlertRules} for the file format). Immutable.
 *
 * @param kind what the condition looks at: an entity's fields, the rate of matching events, or an
 *     upstream source's status
 * @param line where the rule starts in its file (1-based), for messages
 * @param entityType ENTITY rules: the type of entity ({@code node}, {@code agent}, ...)
 * @param source SOURCE rules: the source's name, or {@code *} for every source
 * @param field ENTITY and SOURCE rules: the value compared
 * @param clearValue the value the field must cross back over before the alert resolves (equals
 *     {@code value} without hysteresis)
 * @param where equality filters: on the entity's fields (ENTITY) or the event's payload (RATE)
 * @param eventTypes RATE rules: subject patterns, NATS wildcards
 * @param per RATE rules: {@code entity} (the event's entity), {@code none} (one count for all), or
 *     a payload field whose value keys the count
 * @param threshold RATE rules: fires when more than this many matching events fall in {@code
 *     window}
 * @param clearThreshold RATE rules: resolves when at most this many fall in the window
 * @param forDuration the condition must hold this long before the alert fires (pending until then)
 * @param keepFiringFor the clear condition must hold this long before a firing alert resolves (a
 *     minimum hold against flapping)
 */
public record AlertRule(
    String name,
    Kind kind,
    int line,
    String entityType,
    String source,
    FieldPath field,
    Op op,
    Object value,
    Object clearValue,
    Map<FieldPath, Object> where,
    List<Subject> eventTypes,
    String per,
    double threshold,
    double clearThreshold,
    Duration window,
    Duration forDuration,
    Duration keepFiringFor,
    Severity severity,
    Map<String, String> labels,
    MessageTemplate message) {

  public enum Kind {
    ENTITY,
    RATE,
    SOURCE
  }

  /** True when every {@code where} filter matches {@code obj}. */
  boolean whereMatches(JsonObject obj) {
    for (Map.Entry<FieldPath, Object> w : where.entrySet()) {
      if (!Op.same(w.getKey().get(obj), w.getValue())) {
        return false;
      }
    }
    return true;
  }

  boolean matchesSubject(String subject) {
    for (Subject p : eventTypes) {
      if (p.matches(subject)) {
        return true;
      }
    }
    return false;
  }

  /** The rule as the API lists it. */
  public JsonObject toJson() {
    JsonObject j =
        new JsonObject()
            .put("name", name)
            .put("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
            .put("severity", severity.label())
            .put("labels", new JsonObject(Map.copyOf(labels)))
            .put("message", message.toString())
            .put("for", forDuration.toString())
            .put("keep_firing_for", keepFiringFor.toString());
    JsonObject w = new JsonObject();
    where.forEach((k, v) -> w.put(k.text(), v));
    if (!where.isEmpty()) {
      j.put("where", w);
    }
    switch (kind) {
      case ENTITY, SOURCE -> {
        if (kind == Kind.ENTITY) {
          j.put("entity_type", entityType);
        } else {
          j.put("source", source);
        }
        j.put("field", field.text())
            .put("op", op.symbol)
            .put("value", value instanceof List<?> l ? new JsonArray(List.copyOf(l)) : value)
            .put("clear_value", clearValue instanceof List<?> ? null : clearValue);
      }
      case RATE ->
          j.put(
              "rate",
              new JsonObject()
                  .put("event_type", new JsonArray(eventTypes.stream().map(Subject::text).toList()))
                  .put("per", per)
                  .put("threshold", threshold)
                  .put("clear_threshold", clearThreshold)
                  .put("window", window.toString()));
    }
    return j;
  }
}
