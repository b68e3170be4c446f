package org.daarion.livingmap.history;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text PostgreSQL gives back for {@code payload::text} of a jsonb column the writer filled with
 * some JSON: what a history page built in memory must start from to equal the page PostgreSQL
 * answers (its length counts against the page's byte budget, and its numbers decode as PostgreSQL
 * printed them, e.g. {@code 1.0E7} comes back as the integer {@code 10000000}).
 *
 * <p>jsonb keeps the last of duplicate keys, orders keys by their UTF-8 length and then bytewise,
 * prints numbers as {@code numeric} does (no exponent, the input's scale, no negative zero),
 * separates with {@code ", "} and {@code ": "}, and escapes only quotes, backslashes and control
 * characters. Only for JSON that PostgreSQL accepted: input it would refuse (a {@code \u0000}, an
 * unpaired surrogate escape) never reaches a page built in memory, since only rows the writer has
 * committed do.
 */
final class JsonbText {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNumberLength(Integer.MAX_VALUE)
                  .maxStringLength(Integer.MAX_VALUE)
                  .build())
          .build();

  private JsonbText() {}

  /** jsonb's text of {@code json} (UTF-8). */
  static String of(byte[] json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      JsonToken t = p.nextToken();
      Object v = value(p, t);
      StringBuilder out = new StringBuilder(json.length + json.length / 8 + 16);
      write(v, out);
      return out.toString();
    }
  }

  /** A number as its numeric text: a marker type so that strings and numbers stay apart. */
  private record Num(String text) {}

  private static Object value(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        JsonToken k;
        while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          Object v = value(p, p.nextToken());
          m.remove(name); // the last duplicate wins
          m.put(name, v);
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          l.add(value(p, e));
        }
        return l;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return new Num(numeric(p.getText()));
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new IOException("unexpected " + t);
    }
  }

  /** numeric's output for a JSON number's text. */
  static String numeric(String text) {
    BigDecimal d = new BigDecimal(text);
    if (d.scale() < 0) {
      d = d.setScale(0);
    }
    return d.toPlainString();
  }

  @SuppressWarnings("unchecked")
  private static void write(Object v, StringBuilder out) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof Map<?, ?> m) {
      String[] keys = ((Map<String, Object>) m).keySet().toArray(new String[0]);
      byte[][] utf8 = new byte[keys.length][];
      Integer[] order = new Integer[keys.length];
      for (int i = 0; i < keys.length; i++) {
        utf8[i] = keys[i].getBytes(StandardCharsets.UTF_8);
        order[i] = i;
      }
      Arrays.sort(
          order,
          (a, b) -> {
            int byLength = Integer.compare(utf8[a].length, utf8[b].length);
            return byLength != 0 ? byLength : Arrays.compareUnsigned(utf8[a], utf8[b]);
          });
      out.append('{');
      for (int i = 0; i < order.length; i++) {
        if (i > 0) {
          out.append(", ");
        }
        string(keys[order[i]], out);
        out.append(": ");
        write(m.get(keys[order[i]]), out);
      }
      out.append('}');
    } else if (v instanceof List<?> l) {
      out.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          out.append(", ");
        }
        write(l.get(i), out);
      }
      out.append(']');
    } else if (v instanceof String s) {
      string(s, out);
    } else if (v instanceof Num n) {
      out.append(n.text());
    } else {
      out.append(v); // Boolean
    }
  }

  /** PostgreSQL's escape_json. */
  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < ' ') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
