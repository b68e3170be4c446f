package org.daarion.livingmap.alert;

import io.vertx.core.json.JsonObject;

/** A dotted path into a JSON object ({@code metrics.cpu}), split once when the rule is loaded. */
record FieldPath(String text, String[] parts) {
  static FieldPath of(String text) {
    return new FieldPath(text, text.split("\\."));
  }

  /** The value at the path, or null when any step is missing or not an object. */
  Object get(JsonObject root) {
    Object cur = root;
    for (String p : parts) {
      if (!(cur instanceof JsonObject o)) {
        return null;
      }
      cur = o.getValue(p);
    }
    return cur;
  }

  @Override
  public String toString() {
    return text;
  }
}
