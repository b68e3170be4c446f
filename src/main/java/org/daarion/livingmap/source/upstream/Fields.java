package org.daarion.livingmap.source.upstream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Tolerant readers of upstream JSON: a value of the wrong type reads as absent instead of throwing,
 * and the NUMERIC-as-string values DAARION sends ("1000000.00000000") read as numbers.
 */
final class Fields {
  private Fields() {}

  static String str(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v instanceof String s) {
      return s.isBlank() ? null : s.trim();
    }
    if (v instanceof Number n) {
      return n.toString();
    }
    return null;
  }

  static Double num(JsonObject o, String key) {
    return o == null ? null : num(o.getValue(key));
  }

  static Double num(Object v) {
    if (v instanceof Number n) {
      double d = n.doubleValue();
      return Double.isFinite(d) ? d : null;
    }
    if (v instanceof String s) {
      try {
        double d = Double.parseDouble(s.trim());
        return Double.isFinite(d) ? d : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  static Long integer(JsonObject o, String key) {
    Double d = num(o, key);
    return d == null ? null : Math.round(d);
  }

  static Boolean bool(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      if (s.equalsIgnoreCase("true")) {
        return true;
      }
      if (s.equalsIgnoreCase("false")) {
        return false;
      }
    }
    return null;
  }

  static JsonObject obj(JsonObject o, String key) {
    return o == null ? null : o.getValue(key) instanceof JsonObject j ? j : null;
  }

  static JsonArray arr(JsonObject o, String key) {
    return o == null ? null : o.getValue(key) instanceof JsonArray a ? a : null;
  }

  /**
   * The list of items in a response: the body itself when it is an array, else the first of {@code
   * keys} holding an array. Anything else is a wrong shape.
   */
  static JsonArray list(UpstreamHttp.Reply reply, String... keys) {
    Object body = reply.json();
    if (body instanceof JsonArray a) {
      return a;
    }
    if (body instanceof JsonObject o) {
      for (String key : keys) {
        if (o.getValue(key) instanceof JsonArray a) {
          return a;
        }
      }
      throw UpstreamException.badPayload(
          reply.path(),
          "expected a list" + (keys.length > 0 ? " or " + String.join("/", keys) : ""));
    }
    throw UpstreamException.badPayload(reply.path(), "expected a list");
  }

  static JsonObject object(UpstreamHttp.Reply reply) {
    if (reply.json() instanceof JsonObject o) {
      return o;
    }
    throw UpstreamException.badPayload(reply.path(), "expected an object");
  }

  /** Puts {@code value} when it is not null. */
  static void put(JsonObject target, String key, Object value) {
    if (value != null) {
      target.put(key, value);
    }
  }

  /** Copies the listed keys that are present and not null. */
  static void copy(JsonObject from, JsonObject to, String... keys) {
    for (String key : keys) {
      Object v = from.getValue(key);
      if (v != null) {
        to.put(key, v);
      }
    }
  }

  static String activeStatus(Boolean isActive) {
    return isActive == null ? null : isActive ? "active" : "inactive";
  }

  /** {@code "2025-11-29 07:58:41.3+00:00"} (Python {@code str(datetime)}) as ISO-8601. */
  static String isoTime(String s) {
    if (s == null) {
      return null;
    }
    if (s.length() > 10 && s.charAt(10) == ' ') {
      return s.substring(0, 10) + "T" + s.substring(11);
    }
    return s;
  }
}
