package org.daarion.livingmap.event;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Finds text the state cannot store. JSON allows {@code "\u0000"} in a string, but PostgreSQL's
 * jsonb and text refuse it, so such a string, once in the state, makes every stored snapshot fail
 * (found by {@code StateRoundTripTest}). Every door refuses it with the path this names, as {@link
 * FiniteNumbers} does for numbers.
 */
public final class NulText {
  /** As in {@link FiniteNumbers}: Jackson refuses deeper documents, so nothing parsed gets here. */
  private static final int MAX_DEPTH = 2000;

  private NulText() {}

  /**
   * The JSON path of the first string (value or key) in {@code json} that holds a NUL character, or
   * null when there is none.
   */
  public static String firstNul(Object json) {
    return walk(json, "", 0);
  }

  private static String walk(Object v, String path, int depth) {
    if (v instanceof String s) {
      return s.indexOf('\0') >= 0 ? (path.isEmpty() ? "(value)" : path) : null;
    }
    if (depth > MAX_DEPTH) {
      return null;
    }
    if (v instanceof JsonObject o) {
      v = o.getMap();
    } else if (v instanceof JsonArray a) {
      v = a.getList();
    }
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> en : m.entrySet()) {
        String key = String.valueOf(en.getKey());
        String here = path.isEmpty() ? key : path + "." + key;
        if (key.indexOf('\0') >= 0) {
          return here;
        }
        String found = walk(en.getValue(), here, depth + 1);
        if (found != null) {
          return found;
        }
      }
    } else if (v instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        String found = walk(l.get(i), path + "[" + i + "]", depth + 1);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }
}
