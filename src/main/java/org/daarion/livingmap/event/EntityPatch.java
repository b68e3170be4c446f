package org.daarion.livingmap.event;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What one upstream source says about one entity, already normalised by its adapter.
 *
 * @param id canonical id ({@code agent:sofia}); references to other entities inside {@code fields}
 *     may still be raw upstream ids (UUIDs), which are resolved through aliases
 * @param fields snapshot fields to merge (nested objects merge, arrays replace)
 * @param extra fields the snapshot does not show (upstream UUID, raw upstream record, ...)
 * @param aliases other keys this entity is known by upstream (UUID, slug)
 */
public record EntityPatch(
    String id, String type, JsonObject fields, JsonObject extra, List<String> aliases) {
  public EntityPatch {
    extra = extra == null ? new JsonObject() : extra;
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }
}
