package org.daarion.livingmap.state;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An entity's JSON made compact and read-only once it is in the state: every object's fields in one
 * flat array of keys and values instead of a {@code LinkedHashMap} (a 56-byte map, a table and a
 * 40-byte entry per field). At 100x DAARION the map's 27,700 entities held ~850,000 such entries in
 * 180,000 maps, about 60 MB of the live heap's ~200 MB (class histogram, 2026-12-06), and every one
 * of those objects is marked and copied by each collection. Field order is kept; lookups scan the
 * array (entity objects have tens of fields, not thousands). An object already frozen is kept as it
 * is (an entity made with another's data shares it); a reducer's {@code copy()} is an ordinary tree
 * again and is frozen whole, which costs about 5 % of the warm ingest rate (docs/BENCHMARKS.md).
 *
 * <p>Writing to a frozen object throws {@link UnsupportedOperationException}: entities are
 * immutable by contract ({@link Entity}); a change is made on {@code copy()}.
 */
final class FrozenJson {
  private FrozenJson() {}

  /** {@code o} compact and read-only (itself when already so); null stays null. */
  static JsonObject object(JsonObject o) {
    if (o == null || o.getMap() instanceof FrozenMap) {
      return o;
    }
    Map<String, Object> m = o.getMap();
    Object[] kv = new Object[m.size() * 2];
    int i = 0;
    for (Map.Entry<String, Object> e : m.entrySet()) {
      kv[i++] = e.getKey();
      kv[i++] = value(e.getValue());
    }
    return new JsonObject(new FrozenMap(kv));
  }

  private static Object value(Object v) {
    if (v instanceof JsonObject o) {
      return object(o);
    }
    if (v instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> sm = (Map<String, Object>) m;
      return object(new JsonObject(sm));
    }
    if (v instanceof JsonArray a) {
      return array(a);
    }
    if (v instanceof List<?> l) {
      return array(new JsonArray(new ArrayList<>(l)));
    }
    return v;
  }

  private static JsonArray array(JsonArray a) {
    List<Object> out = new ArrayList<>(a.size());
    for (Object v : a.getList()) {
      out.add(value(v));
    }
    return new JsonArray(java.util.Collections.unmodifiableList(out));
  }

  /**
   * Objects with more fields than this are read into an ordinary map: a frozen object finds a field
   * by scanning, fine for an entity's tens of fields, not for the thousands of a state's aliases.
   */
  private static final int MAX_FROZEN_FIELDS = 32;

  /**
   * The JSON value at {@code p}'s current token, read straight into the compact form {@link
   * #object} makes of a tree, with the numbers, duplicate keys (the last value, at the first one's
   * place) and nesting limit of reading it as a tree first. Time travel at 100x read the stored
   * state's 27,700 entities into maps and then copied each into this form: two fifths of a rebuild
   * (JFR, 2026-12-07).
   */
  static Object read(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) {
      throw new IOException("no JSON value");
    }
    return switch (t) {
      case START_OBJECT -> readObject(p);
      case START_ARRAY -> {
        List<Object> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          out.add(read(p));
        }
        yield new JsonArray(Collections.unmodifiableList(out));
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw new IOException("unexpected JSON token " + t);
    };
  }

  private static JsonObject readObject(JsonParser p) throws IOException {
    List<Object> kv = new ArrayList<>();
    Map<String, Object> big = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      Object value = read(p);
      if (big != null) {
        big.put(key, value);
        continue;
      }
      int at = keyAt(kv, key);
      if (at >= 0) {
        kv.set(at + 1, value);
      } else if (kv.size() / 2 < MAX_FROZEN_FIELDS) {
        kv.add(key);
        kv.add(value);
      } else {
        big = new LinkedHashMap<>();
        for (int i = 0; i < kv.size(); i += 2) {
          big.put((String) kv.get(i), kv.get(i + 1));
        }
        big.put(key, value);
      }
    }
    return big != null ? new JsonObject(big) : new JsonObject(new FrozenMap(kv.toArray()));
  }

  private static int keyAt(List<Object> kv, String key) {
    for (int i = 0; i < kv.size(); i += 2) {
      if (kv.get(i).equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /** Keys and values alternating in one array, insertion order; read-only. */
  static final class FrozenMap extends AbstractMap<String, Object> {
    private final Object[] kv;

    FrozenMap(Object[] kv) {
      this.kv = kv;
    }

    private int indexOf(Object key) {
      for (int i = 0; i < kv.length; i += 2) {
        if (kv[i].equals(key)) {
          return i;
        }
      }
      return -1;
    }

    @Override
    public Object get(Object key) {
      int i = indexOf(key);
      return i < 0 ? null : kv[i + 1];
    }

    @Override
    public boolean containsKey(Object key) {
      return indexOf(key) >= 0;
    }

    @Override
    public int size() {
      return kv.length / 2;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
      return new AbstractSet<>() {
        @Override
        public Iterator<Entry<String, Object>> iterator() {
          return new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
              return i < kv.length;
            }

            @Override
            public Entry<String, Object> next() {
              if (i >= kv.length) {
                throw new NoSuchElementException();
              }
              Entry<String, Object> e = new SimpleImmutableEntry<>((String) kv[i], kv[i + 1]);
              i += 2;
              return e;
            }
          };
        }

        @Override
        public int size() {
          return kv.length / 2;
        }
      };
    }
  }
}
