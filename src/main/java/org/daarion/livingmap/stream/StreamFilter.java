package org.daarion.livingmap.stream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.Subject;
import org.daarion.livingmap.state.EntityTypes;

/**
 * What one connection wants, in four dimensions: {@code layers}, {@code types} (entity types),
 * {@code entities} (entity ids) and {@code events} (event-type patterns with NATS wildcards). An
 * empty dimension means "everything" for that dimension; a non-empty one admits what it names. An
 * event passes when it passes every dimension (AND across dimensions, OR within one):
 *
 * <ul>
 *   <li>layers: the event's entity type's layer ({@link EntityTypes#layerOf}) is listed; a {@code
 *       node} event also belongs to {@code space}, whose {@code nodes} list shows nodes;
 *   <li>types: the event's {@code entity_type} is listed;
 *   <li>entities: the event's {@code entity_id} is listed; an event with no entity passes only when
 *       this dimension is empty;
 *   <li>events: one of the patterns matches the event's {@code event_type}.
 * </ul>
 *
 * Immutable and thread-safe; {@link #key()} is a canonical text form used to cache filtered
 * snapshots.
 */
final class StreamFilter {
  public static final StreamFilter ALL = new StreamFilter(Set.of(), Set.of(), Set.of(), Set.of());

  /** The four parameter names, as query parameters and as fields of subscribe ops. */
  public static final List<String> DIMENSIONS = List.of("layers", "types", "entities", "events");

  static final int MAX_VALUES = 1000;

  private final Set<String> layers;
  private final Set<String> types;
  private final Set<String> entities;
  private final Set<Subject> events;
  private final String key;

  private StreamFilter(
      Set<String> layers, Set<String> types, Set<String> entities, Set<Subject> events) {
    this.layers = Set.copyOf(layers);
    this.types = Set.copyOf(types);
    this.entities = Set.copyOf(entities);
    this.events = Set.copyOf(events);
    List<String> evs = new ArrayList<>();
    events.forEach(p -> evs.add(p.toString()));
    this.key =
        "l="
            + new TreeSet<>(layers)
            + ";t="
            + new TreeSet<>(types)
            + ";e="
            + new TreeSet<>(entities)
            + ";p="
            + new TreeSet<>(evs);
  }

  /** A caller's mistake in one filter parameter. */
  public static final class InvalidFilter extends IllegalArgumentException {
    private final String parameter;

    InvalidFilter(String parameter, String message) {
      super("invalid " + parameter + ": " + message);
      this.parameter = parameter;
    }

    /** Which parameter was wrong: layers, types, entities, events (or max_rate, since_seq...). */
    public String parameter() {
      return parameter;
    }
  }

  /** Parses comma-separated query values; null or blank means "everything". */
  public static StreamFilter fromQuery(
      String layers, String types, String entities, String events) {
    return new StreamFilter(
        layers(split(layers)),
        types(split(types)),
        entities(split(entities)),
        patterns(split(events)));
  }

  /**
   * The filter after a subscribe op: each listed value is added to its dimension. Adding to an
   * empty dimension narrows it from "everything" to the values listed.
   */
  public StreamFilter plus(JsonObject op) {
    return new StreamFilter(
        union(layers, layers(values(op, "layers"))),
        union(types, types(values(op, "types"))),
        union(entities, entities(values(op, "entities"))),
        union(events, patterns(values(op, "events"))));
  }

  /**
   * The filter after an unsubscribe op: each listed value is removed from its dimension; {@code
   * "*"} as a value ({@code "layers":"*"} or {@code ["*"]}) clears the dimension back to
   * "everything". Removing the last value also leaves the dimension empty, that is "everything".
   */
  public StreamFilter minus(JsonObject op) {
    return new StreamFilter(
        minus(layers, op, "layers", StreamFilter::layers),
        minus(types, op, "types", StreamFilter::types),
        minus(entities, op, "entities", StreamFilter::entities),
        minus(events, op, "events", StreamFilter::patterns));
  }

  private interface Parser<T> {
    Set<T> parse(List<String> values);
  }

  private static <T> Set<T> minus(Set<T> current, JsonObject op, String name, Parser<T> parser) {
    List<String> vs = values(op, name);
    if (vs.contains("*")) {
      return Set.of();
    }
    Set<T> out = new LinkedHashSet<>(current);
    out.removeAll(parser.parse(vs));
    return out;
  }

  private static <T> Set<T> union(Set<T> a, Set<T> b) {
    Set<T> out = new LinkedHashSet<>(a);
    out.addAll(b);
    if (out.size() > MAX_VALUES) {
      throw new InvalidFilter("filter", "more than " + MAX_VALUES + " values in one dimension");
    }
    return out;
  }

  public boolean isAll() {
    return layers.isEmpty() && types.isEmpty() && entities.isEmpty() && events.isEmpty();
  }

  public Set<String> layers() {
    return layers;
  }

  public Set<String> types() {
    return types;
  }

  public Set<String> entities() {
    return entities;
  }

  public Set<Subject> events() {
    return events;
  }

  public String key() {
    return key;
  }

  /** Whether the snapshot layer {@code layer} is shown. */
  public boolean showsLayer(String layer) {
    return layers.isEmpty() || layers.contains(layer);
  }

  /** Whether a snapshot item of entity {@code type} and {@code id} in snapshot layer is shown. */
  public boolean showsItem(String layer, String type, String id) {
    return showsLayer(layer)
        && (types.isEmpty() || types.contains(type))
        && (entities.isEmpty() || entities.contains(id));
  }

  public boolean matches(Event e) {
    String type = e.entityType();
    if (!layers.isEmpty()) {
      if (type == null) {
        return false;
      }
      boolean in = layers.contains(EntityTypes.layerOf(type));
      if (!in && type.equals("node")) {
        in = layers.contains("space");
      }
      if (!in) {
        return false;
      }
    }
    if (!types.isEmpty() && (type == null || !types.contains(type))) {
      return false;
    }
    if (!entities.isEmpty() && (e.entityId() == null || !entities.contains(e.entityId()))) {
      return false;
    }
    if (!events.isEmpty()) {
      for (Subject p : events) {
        if (p.matches(e.eventType())) {
          return true;
        }
      }
      return false;
    }
    return true;
  }

  /** The filter as JSON, echoed to the client after subscribe/unsubscribe. */
  public JsonObject toJson() {
    JsonArray ev = new JsonArray();
    events.forEach(p -> ev.add(p.toString()));
    return new JsonObject()
        .put("layers", new JsonArray(new ArrayList<>(new TreeSet<>(layers))))
        .put("types", new JsonArray(new ArrayList<>(new TreeSet<>(types))))
        .put("entities", new JsonArray(new ArrayList<>(new TreeSet<>(entities))))
        .put("events", ev);
  }

  @Override
  public String toString() {
    return key;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StreamFilter f && f.key.equals(key);
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }

  // ---- parsing

  private static List<String> split(String csv) {
    List<String> out = new ArrayList<>();
    if (csv == null || csv.isBlank()) {
      return out;
    }
    for (String s : csv.split(",")) {
      String t = s.trim();
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** Values of one dimension in an op: an array of strings or one comma-separated string. */
  private static List<String> values(JsonObject op, String name) {
    Object v = op.getValue(name);
    if (v == null) {
      return List.of();
    }
    if (v instanceof String s) {
      return split(s);
    }
    if (v instanceof JsonArray a) {
      List<String> out = new ArrayList<>();
      for (Object o : a) {
        if (!(o instanceof String s) || s.isBlank()) {
          throw new InvalidFilter(name, "values must be non-empty strings");
        }
        out.add(s.trim());
      }
      return out;
    }
    throw new InvalidFilter(name, "must be an array of strings or a comma-separated string");
  }

  private static void count(String name, Collection<String> values) {
    if (values.size() > MAX_VALUES) {
      throw new InvalidFilter(name, "more than " + MAX_VALUES + " values");
    }
  }

  private static Set<String> layers(List<String> values) {
    count("layers", values);
    for (String v : values) {
      if (!EntityTypes.LAYERS.contains(v)) {
        throw new InvalidFilter(
            "layers",
            "unknown layer '" + v + "' (known: " + String.join(", ", EntityTypes.LAYERS) + ")");
      }
    }
    return new LinkedHashSet<>(values);
  }

  private static Set<String> types(List<String> values) {
    count("types", values);
    for (String v : values) {
      if (!EntityTypes.TYPES.contains(v)) {
        throw new InvalidFilter(
            "types",
            "unknown type '" + v + "' (known: " + String.join(", ", EntityTypes.TYPES) + ")");
      }
    }
    return new LinkedHashSet<>(values);
  }

  private static Set<String> entities(List<String> values) {
    count("entities", values);
    for (String v : values) {
      if (v.length() > 256) {
        throw new InvalidFilter("entities", "entity id longer than 256 characters");
      }
    }
    return new LinkedHashSet<>(values);
  }

  private static Set<Subject> patterns(List<String> values) {
    count("events", values);
    Set<Subject> out = new LinkedHashSet<>();
    for (String v : values) {
      if (v != null && v.length() > 256) {
        throw new InvalidFilter("events", "pattern longer than 256 characters");
      }
      try {
        out.add(Subject.parse(v));
      } catch (IllegalArgumentException e) {
        throw new InvalidFilter("events", e.getMessage());
      }
    }
    return out;
  }
}
