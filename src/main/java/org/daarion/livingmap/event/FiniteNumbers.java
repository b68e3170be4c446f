package org.daarion.livingmap.event;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Finds numbers the state cannot hold. JSON allows {@code 1e400} and 400-digit integers; Jackson
 * reads the first as {@code Infinity} and the reducers turn the second into one with {@code
 * doubleValue()}. Jackson then writes a non-finite double as the string {@code "Infinity"}, so such
 * a number, once in the state, comes back from a stored snapshot as a string where a number
 * belongs. Every door (events on any bus, {@code POST /events}, upstream replies, history replay,
 * stored snapshots) refuses them with the path this names.
 */
public final class FiniteNumbers {
  /**
   * Deeper than this is not walked further: Jackson refuses documents nested deeper than 1000
   * (StreamReadConstraints), so nothing parsed reaches it.
   */
  private static final int MAX_DEPTH = 2000;

  private FiniteNumbers() {}

  /**
   * The JSON path ({@code cpu}, {@code changes.balance}, {@code items[3]}) of the first number in
   * {@code json} that is not finite as a double, or null when every number is finite.
   */
  public static String firstNonFinite(Object json) {
    JsonPaths.Step p = walk(json, 0);
    return p == null ? null : p.render();
  }

  /** Whether {@code n} is a finite number as a double. */
  public static boolean finite(Number n) {
    if (n instanceof Double d) {
      return Double.isFinite(d);
    }
    if (n instanceof Float f) {
      return Float.isFinite(f);
    }
    if (n instanceof BigInteger || n instanceof BigDecimal) {
      return Double.isFinite(n.doubleValue());
    }
    return true;
  }

  /** As in {@link NulText}: the path below {@code v}, built only on the way back from a find. */
  private static JsonPaths.Step walk(Object v, int depth) {
    if (v instanceof Number n) {
      return finite(n) ? null : JsonPaths.HERE;
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
        Object child = en.getValue();
        if (child instanceof Number
            || child instanceof Map
            || child instanceof List
            || child instanceof JsonObject
            || child instanceof JsonArray) {
          JsonPaths.Step found = walk(child, depth + 1);
          if (found != null) {
            return JsonPaths.key(String.valueOf(en.getKey()), found);
          }
        }
      }
    } else if (v instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        Object child = l.get(i);
        if (child instanceof Number
            || child instanceof Map
            || child instanceof List
            || child instanceof JsonObject
            || child instanceof JsonArray) {
          JsonPaths.Step found = walk(child, depth + 1);
          if (found != null) {
            return JsonPaths.index(i, found);
          }
        }
      }
    }
    return null;
  }
}
