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
    JsonPaths.Step p = walk(json, 0);
    return p == null ? null : p.render();
  }

  /**
   * The path below {@code v} of its first NUL ({@link JsonPaths#HERE}: {@code v} itself), or null.
   * The path is built only on the way back from a find ({@link JsonPaths}): building every node's
   * path on the way down made these walks a sixth of all the service's allocation at 100x (JFR,
   * 2026-12-06).
   */
  private static JsonPaths.Step walk(Object v, int depth) {
    if (v instanceof String s) {
      return s.indexOf('\0') >= 0 ? JsonPaths.HERE : null;
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
        if (key.indexOf('\0') >= 0) {
          return JsonPaths.key(key, JsonPaths.HERE);
        }
        JsonPaths.Step found = walk(en.getValue(), depth + 1);
        if (found != null) {
          return JsonPaths.key(key, found);
        }
      }
    } else if (v instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        JsonPaths.Step found = walk(l.get(i), depth + 1);
        if (found != null) {
          return JsonPaths.index(i, found);
        }
      }
    }
    return null;
  }
}
