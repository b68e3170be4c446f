package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Stops notifications for the alerts it matches until it expires; they still show in the API and on
 * the map, marked {@code silenced}. Every matcher given must equal the alert's field; at least one
 * is given.
 *
 * @param rule matches the alert's rule name, or null for any
 * @param entityId matches the alert's entity (or key, for alerts without an entity), or null
 * @param severity matches the alert's severity, or null
 */
public record Silence(
    String id,
    String rule,
    String entityId,
    Severity severity,
    Instant startsAt,
    Instant expiresAt,
    String comment,
    String createdBy) {

  public boolean activeAt(Instant now) {
    return !now.isBefore(startsAt) && now.isBefore(expiresAt);
  }

  public boolean matches(Alert a) {
    return (rule == null || rule.equals(a.rule()))
        && (entityId == null
            || entityId.equals(a.entityId())
            || (a.entityId() == null && entityId.equals(a.key())))
        && (severity == null || severity == a.severity());
  }

  public JsonObject toJson(Instant now) {
    JsonObject matchers = new JsonObject();
    if (rule != null) {
      matchers.put("rule", rule);
    }
    if (entityId != null) {
      matchers.put("entity_id", entityId);
    }
    if (severity != null) {
      matchers.put("severity", severity.label());
    }
    return new JsonObject()
        .put("id", id)
        .put("matchers", matchers)
        .put("starts_at", startsAt.toString())
        .put("expires_at", expiresAt.toString())
        .put("comment", comment)
        .put("created_by", createdBy)
        .put("state", activeAt(now) ? "active" : "expired");
  }
}
