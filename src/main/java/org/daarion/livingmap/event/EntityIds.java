package org.daarion.livingmap.event;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Canonical entity ids ({@code type:id}) as CONTRACT section 5 defines them: the entity of an event
 * is the first of {@code entity_id, id, node_id, agent_id, dao_id, microdao_id, channel_id}, put in
 * {@code type:} form; its type is the subject's first token when that token names an entity type
 * ({@code microdao.*} is a microdao, not a dao), else the type prefix of the id.
 *
 * <p>An {@code id} with no prefix counts only on subjects whose first token is an entity type: on
 * {@code city.event.*} it is the event's own id, so the entity is the microDAO it names.
 */
public final class EntityIds {
  private EntityIds() {}

  public static final Set<String> ENTITY_TYPES =
      Set.of("microdao", "dao", "node", "agent", "channel");

  private static final String[][] KEYS = {
    {"entity_id", null},
    {"id", null},
    {"node_id", "node"},
    {"agent_id", "agent"},
    {"dao_id", "dao"},
    {"microdao_id", "microdao"},
    {"channel_id", "channel"},
  };

  /** An entity reference: canonical id and type, both null when the payload names none. */
  public record Ref(String id, String type) {}

  public static Ref of(String subject, JsonObject payload) {
    String subjectType = SourceServices.firstToken(subject);
    boolean subjectIsEntity = ENTITY_TYPES.contains(subjectType);
    for (String[] key : KEYS) {
      Object raw = payload.getValue(key[0]);
      if (!(raw instanceof String || raw instanceof Number)) {
        continue;
      }
      String value = raw.toString().trim();
      if (value.isEmpty()) {
        continue;
      }
      String type = key[1];
      if (type == null) {
        if (hasPrefix(value)) {
          return new Ref(value, subjectIsEntity ? subjectType : prefixOf(value));
        }
        if (!subjectIsEntity) {
          continue;
        }
        type = subjectType;
      }
      String id = canonical(type, value);
      return new Ref(id, subjectIsEntity ? subjectType : prefixOf(id));
    }
    return new Ref(null, subjectIsEntity ? subjectType : null);
  }

  /** {@code node:03} stays; {@code 03} with type node becomes {@code node:03}. */
  public static String canonical(String type, String value) {
    if (value.startsWith(type + ":")) {
      return value;
    }
    if (hasPrefix(value) && ENTITY_TYPES.contains(prefixOf(value))) {
      return value;
    }
    return type + ":" + value;
  }

  static boolean hasPrefix(String value) {
    int colon = value.indexOf(':');
    return colon > 0 && ENTITY_TYPES.contains(value.substring(0, colon));
  }

  /** The type part of a canonical id, or null. */
  public static String prefixOf(String id) {
    int colon = id.indexOf(':');
    return colon > 0 ? id.substring(0, colon) : null;
  }
}
