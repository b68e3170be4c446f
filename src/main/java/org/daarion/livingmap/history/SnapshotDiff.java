package org.daarion.livingmap.history;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What changed between two snapshots (CONTRACT section 2 shape): entities added, removed, and
 * changed with each changed field's path and both values. Pure: the same two snapshots give the
 * same diff, entries ordered by entity id, so that a cursor (the last id of a page) continues it.
 *
 * <p>Entities come from the snapshot's entity lists ({@code city.items} microdaos, {@code
 * city.channels}, {@code space.planets} DAOs, {@code nodes.items}, {@code agents.items}); {@code
 * space.nodes} repeats the nodes and is left out. A field path joins object keys with dots; arrays
 * are compared and reported whole.
 */
public final class SnapshotDiff {
  private SnapshotDiff() {}

  /** Which entity list of which layer holds which type. */
  private record Source(String layer, String list, String type) {}

  private static final List<Source> SOURCES =
      List.of(
          new Source("city", "items", "microdao"),
          new Source("city", "channels", "channel"),
          new Source("space", "planets", "dao"),
          new Source("nodes", "items", "node"),
          new Source("agents", "items", "agent"));

  /** An entity of a snapshot with where it came from. */
  public record Item(String id, String type, String layer, JsonObject data) {}

  /** Filters: empty sets match everything. */
  public record Filter(Set<String> layers, Set<String> types, Set<String> ids) {
    public static final Filter ALL = new Filter(Set.of(), Set.of(), Set.of());

    boolean matches(Item i) {
      return (layers.isEmpty() || layers.contains(i.layer()))
          && (types.isEmpty() || types.contains(i.type()))
          && (ids.isEmpty() || ids.contains(i.id()));
    }
  }

  /** One entry of the diff, in id order: {@code json} is the entity, or its changed fields. */
  public record Entry(String kind, String id, JsonObject json) {}

  /**
   * One side of a diff as it is kept while the other is rebuilt: each entity's JSON bytes, by id
   * (about a tenth of the heap the same entities take as trees, so two sides fit beside the live
   * state at 100x DAARION's size).
   */
  public record Side(Map<String, Kept> entities) {}

  /** An entity of a kept side: its type and its JSON. */
  public record Kept(String type, byte[] json) {}

  /** Every entity of {@code snapshot} passing {@code filter}, by id. */
  private static Map<String, Item> entities(JsonObject snapshot, Filter filter) {
    Map<String, Item> out = new TreeMap<>();
    JsonObject layers = snapshot.getJsonObject("layers", new JsonObject());
    for (Source s : SOURCES) {
      JsonObject layer = layers.getJsonObject(s.layer());
      JsonArray list = layer == null ? null : layer.getJsonArray(s.list());
      if (list == null) {
        continue;
      }
      for (Object o : list) {
        if (o instanceof JsonObject e && e.getValue("id") instanceof String id) {
          Item i = new Item(id, s.type(), s.layer(), e);
          if (filter.matches(i)) {
            out.put(id, i);
          }
        }
      }
    }
    return out;
  }

  /** The entities of {@code snapshot} passing {@code filter}, kept as bytes. */
  public static Side keep(JsonObject snapshot, Filter filter) {
    Map<String, Kept> out = new TreeMap<>();
    for (Item i : entities(snapshot, filter).values()) {
      out.put(i.id(), new Kept(i.type(), i.data().toBuffer().getBytes()));
    }
    return new Side(out);
  }

  /** The diff's entries in id order: added (the new entity), removed (the old), changed. */
  public static List<Entry> entries(Side from, Side to) {
    Map<String, Kept> a = from.entities();
    Map<String, Kept> b = to.entities();
    TreeSet<String> ids = new TreeSet<>(a.keySet());
    ids.addAll(b.keySet());
    List<Entry> out = new ArrayList<>();
    for (String id : ids) {
      Kept x = a.get(id);
      Kept y = b.get(id);
      if (x == null) {
        out.add(new Entry("added", id, parse(y)));
      } else if (y == null) {
        out.add(new Entry("removed", id, parse(x)));
      } else if (!Arrays.equals(x.json(), y.json())) {
        JsonObject before = parse(x);
        JsonObject after = parse(y);
        JsonObject fields = new JsonObject();
        compare("", before, after, fields);
        if (!fields.isEmpty()) {
          out.add(
              new Entry(
                  "changed",
                  id,
                  new JsonObject().put("id", id).put("type", y.type()).put("fields", fields)));
        }
      }
    }
    return out;
  }

  private static JsonObject parse(Kept k) {
    return new JsonObject(Buffer.buffer(k.json()));
  }

  private static void compare(String prefix, JsonObject x, JsonObject y, JsonObject fields) {
    TreeSet<String> keys = new TreeSet<>(x.fieldNames());
    keys.addAll(y.fieldNames());
    for (String k : keys) {
      Object u = x.getValue(k);
      Object v = y.getValue(k);
      String path = prefix.isEmpty() ? k : prefix + "." + k;
      if (u instanceof JsonObject uo && v instanceof JsonObject vo) {
        compare(path, uo, vo, fields);
      } else if (!same(u, v)) {
        fields.put(path, new JsonObject().put("from", u).put("to", v));
      }
    }
  }

  private static boolean same(Object u, Object v) {
    if (u instanceof Number a && v instanceof Number b) {
      return a.doubleValue() == b.doubleValue();
    }
    return u == null ? v == null : u.equals(v);
  }
}
