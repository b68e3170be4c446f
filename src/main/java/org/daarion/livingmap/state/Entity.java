package org.daarion.livingmap.state;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Set;

/**
 * One thing on the map. Immutable: the state owner replaces an entity instead of changing it, so
 * any thread may read the one it holds. Nobody mutates {@code data} or {@code extra} after
 * construction.
 *
 * @param id canonical {@code type:id}
 * @param data the fields as the snapshot shows them for the entity's layer (CONTRACT section 2)
 * @param extra bookkeeping the snapshot does not show (active proposal ids, upstream UUID, ...),
 *     returned by the entity detail route
 * @param sources upstream sources that currently report this entity (empty: known from events only)
 * @param seq position of the last event that changed it
 */
public record Entity(
    String id,
    String type,
    JsonObject data,
    JsonObject extra,
    Set<String> sources,
    long seq,
    Instant updatedAt) {

  /** {@code data} and {@code extra} are kept compact and read-only ({@link FrozenJson}). */
  public Entity {
    data = FrozenJson.object(data);
    extra = FrozenJson.object(extra);
  }

  public String layer() {
    return EntityTypes.layerOf(type);
  }

  public String status() {
    return data.getString("status", "unknown");
  }

  public String label() {
    String name = data.getString("name");
    return name != null ? name : id;
  }

  /** The same entity with new data, at {@code seq}. */
  public Entity withData(JsonObject newData, long atSeq, Instant at) {
    return new Entity(id, type, newData, extra, sources, atSeq, at);
  }

  public Entity withExtra(JsonObject newExtra) {
    return new Entity(id, type, data, newExtra, sources, seq, updatedAt);
  }

  public Entity withSources(Set<String> newSources) {
    return new Entity(id, type, data, extra, Set.copyOf(newSources), seq, updatedAt);
  }
}
