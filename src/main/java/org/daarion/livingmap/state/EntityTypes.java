package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The kinds of entity, their layers, and the blank fields each starts with. */
public final class EntityTypes {
  private EntityTypes() {}

  public static final List<String> TYPES = List.of("microdao", "dao", "node", "agent", "channel");
  public static final List<String> LAYERS = List.of("city", "space", "nodes", "agents");

  public static String layerOf(String type) {
    return switch (type) {
      case "microdao", "channel" -> "city";
      case "dao" -> "space";
      case "node" -> "nodes";
      case "agent" -> "agents";
      default -> "city";
    };
  }

  /**
   * Every field the snapshot promises for this type, with neutral values, so an entity first seen
   * through one event still has the contract's whole shape.
   */
  public static JsonObject blank(String type, String id) {
    String shortName = id.contains(":") ? id.substring(id.indexOf(':') + 1) : id;
    JsonObject d = new JsonObject().put("id", id).put("name", shortName);
    switch (type) {
      case "microdao" ->
          d.put("slug", shortName)
              .put("status", "active")
              .put("agents", 0)
              .put("nodes", 0)
              .put("members", 0)
              .put("description", "");
      case "dao" ->
          d.put("slug", shortName)
              .put("type", "dao")
              .put("status", "active")
              .put("orbits", new JsonArray())
              .put("treasury_value", 0.0)
              .put("active_proposals", 0);
      case "node" ->
          d.put("microdao_id", null)
              .put("status", "online")
              .put(
                  "metrics",
                  new JsonObject()
                      .put("cpu", 0.0)
                      .put("gpu", 0.0)
                      .put("ram", 0.0)
                      .put("disk", 0.0)
                      .put("net_in", 0.0)
                      .put("net_out", 0.0)
                      .put("temperature", 0.0))
              .put("alerts", new JsonArray())
              .put("uptime_seconds", 0)
              .put("last_seen", null);
      case "agent" ->
          d.put("kind", "assistant")
              .put("microdao_id", null)
              .put("status", "offline")
              .put(
                  "usage",
                  new JsonObject()
                      .put("llm_calls_24h", 0)
                      .put("tokens_24h", 0)
                      .put("messages_24h", 0)
                      .put("avg_response_time_ms", 0.0))
              .put("model", null)
              .put("last_active", null);
      case "channel" ->
          d.put("microdao_id", null)
              .put("status", "active")
              .put("messages_24h", 0)
              .put("last_message_at", null);
      default -> d.put("status", "unknown");
    }
    return d;
  }
}
