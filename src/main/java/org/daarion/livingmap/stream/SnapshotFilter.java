package org.daarion.livingmap.stream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The snapshot a filtered connection sees: the same shape as CONTRACT section 2 (every layer and
 * every list present), with the item lists of layers outside {@code layers} emptied and the items
 * of shown layers kept only when their type is in {@code types} and their id in {@code entities}
 * (each when set). Layer totals and counters ({@code microdaos_total}, {@code total_cpu}, ...) are
 * the whole network's, unfiltered. The {@code events} dimension does not affect the snapshot.
 */
final class SnapshotFilter {
  private SnapshotFilter() {}

  /** Where each item list lives and which entity type its items are. */
  private static final String[][] LISTS = {
    {"city", "items", "microdao"},
    {"city", "channels", "channel"},
    {"space", "planets", "dao"},
    {"space", "nodes", "node"},
    {"nodes", "items", "node"},
    {"agents", "items", "agent"},
  };

  static JsonObject apply(JsonObject snapshot, StreamFilter filter) {
    JsonObject layers = snapshot.getJsonObject("layers", new JsonObject());
    JsonObject outLayers = new JsonObject();
    for (String layerName : layers.fieldNames()) {
      Object l = layers.getValue(layerName);
      outLayers.put(layerName, l instanceof JsonObject o ? o.copy() : l);
    }
    for (String[] list : LISTS) {
      JsonObject layer = outLayers.getJsonObject(list[0]);
      if (layer == null || !(layer.getValue(list[1]) instanceof JsonArray items)) {
        continue;
      }
      JsonArray kept = new JsonArray();
      for (Object item : items) {
        if (item instanceof JsonObject o && filter.showsItem(list[0], list[2], o.getString("id"))) {
          kept.add(o);
        }
      }
      layer.put(list[1], kept);
    }
    JsonObject out = new JsonObject();
    for (String field : snapshot.fieldNames()) {
      out.put(field, field.equals("layers") ? outLayers : snapshot.getValue(field));
    }
    JsonObject meta = snapshot.getJsonObject("meta");
    if (meta != null) {
      out.put("meta", meta.copy().put("filter", filter.toJson()));
    }
    return out;
  }
}
