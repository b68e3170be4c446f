package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;

/**
 * One alert as the API, the events and the notifications show it. Immutable; a new one is made at
 * each change of state. One alert exists per rule and key (the entity, the source, or the rate's
 * key) at a time; its {@code id} names this episode, from pending to resolved, and a later episode
 * of the same rule and key gets a new id.
 *
 * @param state {@code pending} (condition holds, waiting for {@code for}), {@code firing} or {@code
 *     resolved}
 * @param entityId the entity on the map it concerns, or null (a source, a global rate)
 * @param key what the rule counts or watches per alert: the entity id, the source name, a payload
 *     value
 * @param value the observed value when the alert last changed state
 * @param activeAt when the condition began to hold
 * @param startsAt when it fired, or null while pending
 * @param endsAt when it resolved, or null
 */
public record Alert(
    String id,
    String rule,
    String state,
    Severity severity,
    String entityId,
    String entityType,
    String key,
    String source,
    Object value,
    String message,
    Map<String, String> labels,
    Instant activeAt,
    Instant startsAt,
    Instant endsAt) {

  public static final String PENDING = "pending";
  public static final String FIRING = "firing";
  public static final String RESOLVED = "resolved";

  /** When the current state began: {@code since} in the entity's {@code alerts} list. */
  public Instant since() {
    return startsAt != null ? startsAt : activeAt;
  }

  Alert withState(
      String newState, Object newValue, String newMessage, Instant starts, Instant ends) {
    return new Alert(
        id,
        rule,
        newState,
        severity,
        entityId,
        entityType,
        key,
        source,
        newValue,
        newMessage,
        labels,
        activeAt,
        starts,
        ends);
  }

  public JsonObject toJson() {
    JsonObject j =
        new JsonObject()
            .put("id", id)
            .put("rule", rule)
            .put("state", state)
            .put("severity", severity.label())
            .put("message", message)
            .put("since", since().toString())
            .put("entity_id", entityId)
            .put("entity_type", entityType)
            .put("key", key)
            .put("value", value)
            .put("labels", new JsonObject(Map.copyOf(labels)))
            .put("active_at", activeAt.toString())
            .put("starts_at", startsAt == null ? null : startsAt.toString())
            .put("ends_at", endsAt == null ? null : endsAt.toString());
    if (source != null) {
      j.put("source", source);
    }
    return j;
  }
}
