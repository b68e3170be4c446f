package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
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
