package org.daarion.livingmap.source.upstream;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.UpstreamPoll;

/**
 * The patches of one poll, one per entity: what two responses of the same source say about one
 * entity is merged here (later wins, nested objects merge), so the state sees one change, not two.
 */
final class PatchSet {
  /** A patch being built. */
  static final class Patch {
    final String id;
    final String type;
    final JsonObject fields = new JsonObject();
    final JsonObject extra = new JsonObject();
    final Set<String> aliases = new LinkedHashSet<>();

    Patch(String type, String id) {
      this.type = type;
      this.id = id;
    }

    Patch field(String key, Object value) {
      Fields.put(fields, key, value);
      return this;
    }

    Patch extra(String key, Object value) {
      Fields.put(extra, key, value);
      return this;
    }

    /**
     * Registers another key this entity is known by upstream. A key equal to the canonical id or to
     * its part after {@code type:} is left out: it resolves without an alias, and aliases are
     * global, so a short key ({@code 03}, {@code daarion}) could shadow an entity of another type.
     */
    Patch alias(String key) {
      if (key != null
          && !key.isBlank()
          && !key.equals(id)
          && !key.equals(id.substring(id.indexOf(':') + 1))) {
        aliases.add(key);
      }
      return this;
    }
  }

  private final Map<String, Patch> byId = new LinkedHashMap<>();
  private final Set<String> complete = new LinkedHashSet<>();

  void add(Patch p) {
    Patch existing = byId.get(p.id);
    if (existing == null) {
      byId.put(p.id, p);
      return;
    }
    existing.fields.mergeIn(p.fields, true);
    existing.extra.mergeIn(p.extra, true);
    existing.aliases.addAll(p.aliases);
  }

  void addAll(List<Patch> patches) {
    patches.forEach(this::add);
  }

  List<Patch> patches() {
    return List.copyOf(byId.values());
  }

  void complete(String type) {
    complete.add(type);
  }

  boolean isEmpty() {
    return byId.isEmpty() && complete.isEmpty();
  }

  UpstreamPoll toPoll(String source) {
    List<EntityPatch> out = new ArrayList<>(byId.size());
    for (Patch p : byId.values()) {
      out.add(new EntityPatch(p.id, p.type, p.fields, p.extra, List.copyOf(p.aliases)));
    }
    return new UpstreamPoll(source, complete, out);
  }
}
