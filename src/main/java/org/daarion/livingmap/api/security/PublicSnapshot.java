package org.daarion.livingmap.api.security;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reduced snapshot anonymous callers get in public mode. Exactly this, per layer of the full
 * snapshot: every top-level number, string and boolean of the layer (totals such as {@code
 * microdaos_total}, {@code total_agents}, {@code online_agents}, {@code total_cpu}, and {@code
 * health}), and for every list in the layer ({@code items}, {@code planets}, {@code nodes}) its
 * count as {@code <list>_count} and its items counted by {@code status} as {@code
 * <list>_by_status}. No ids, names, descriptions, metrics of single entities or relations. Top
 * level: {@code generated_at}, {@code public: true}, {@code layers}, and {@code meta} with only
 * {@code generated_at} and {@code version}.
 */
public final class PublicSnapshot {
  private PublicSnapshot() {}

  public static JsonObject reduce(JsonObject full) {
    JsonObject layersOut = new JsonObject();
    JsonObject layers = full.getJsonObject("layers", new JsonObject());
    for (String name : layers.fieldNames()) {
      Object layer = layers.getValue(name);
      if (!(layer instanceof JsonObject l)) {
        continue;
      }
      JsonObject out = new JsonObject();
      for (Map.Entry<String, Object> f : l) {
        Object v = f.getValue();
        if (v instanceof Number || v instanceof String || v instanceof Boolean) {
          out.put(f.getKey(), v);
        } else if (v instanceof JsonArray arr) {
          out.put(f.getKey() + "_count", arr.size());
          Map<String, Integer> byStatus = new TreeMap<>();
          for (Object item : arr) {
            if (item instanceof JsonObject o && o.getValue("status") instanceof String s) {
              byStatus.merge(s, 1, Integer::sum);
            }
          }
          JsonObject counts = new JsonObject();
          byStatus.forEach(counts::put);
          out.put(f.getKey() + "_by_status", counts);
        }
      }
      layersOut.put(name, out);
    }
    JsonObject meta = full.getJsonObject("meta", new JsonObject());
    return new JsonObject()
        .put("generated_at", full.getValue("generated_at"))
        .put("public", true)
        .put("layers", layersOut)
        .put(
            "meta",
            new JsonObject()
                .put("generated_at", meta.getValue("generated_at", full.getValue("generated_at")))
                .put("version", meta.getValue("version")));
  }
}
