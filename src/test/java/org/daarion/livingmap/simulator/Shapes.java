package org.daarion.livingmap.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.TreeSet;

/** Loads fixtures and compares JSON shapes: same keys, same value kinds, recursively. */
final class Shapes {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Shapes() {}

  static JsonNode fixture(String path) {
    try (InputStream in = Shapes.class.getResourceAsStream("/fixtures/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + path);
      }
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  static JsonNode parse(byte[] json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new AssertionError("not JSON", e);
    }
  }

  /** The JSON kind of a value; integral and floating numbers are different kinds. */
  static String kind(JsonNode n) {
    if (n == null || n.isNull()) {
      return "null";
    }
    if (n.isObject()) {
      return "object";
    }
    if (n.isArray()) {
      return "array";
    }
    if (n.isTextual()) {
      return "string";
    }
    if (n.isBoolean()) {
      return "boolean";
    }
    if (n.isIntegralNumber()) {
      return "integer";
    }
    if (n.isFloatingPointNumber()) {
      return "float";
    }
    return n.getNodeType().toString();
  }

  /**
   * Fails unless {@code actual} has the shape of {@code expected}: objects have the same key set,
   * values the same kind, arrays compare their first elements. A null on either side matches any
   * kind (the fixtures show nullable fields as null).
   */
  static void assertSameShape(String path, JsonNode expected, JsonNode actual) {
    String ek = kind(expected);
    String ak = kind(actual);
    if (ek.equals("null") || ak.equals("null")) {
      return;
    }
    if (!ek.equals(ak)) {
      fail("%s: expected %s but was %s (%s)", path, ek, ak, actual);
    }
    if (expected.isObject()) {
      assertThat(new TreeSet<>(fieldNames(actual)))
          .as("keys of %s", path)
          .isEqualTo(new TreeSet<>(fieldNames(expected)));
      expected
          .fieldNames()
          .forEachRemaining(k -> assertSameShape(path + "." + k, expected.get(k), actual.get(k)));
    } else if (expected.isArray() && expected.size() > 0 && actual.size() > 0) {
      assertSameShape(path + "[0]", expected.get(0), actual.get(0));
    }
  }

  static TreeSet<String> fieldNames(JsonNode n) {
    TreeSet<String> out = new TreeSet<>();
    Iterator<String> it = n.fieldNames();
    it.forEachRemaining(out::add);
    return out;
  }
}
