package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The full state as JSON, for stored snapshots: unlike the API snapshot it keeps every entity kind,
 * the bookkeeping fields, the sources and the aliases, so a restored state is the state that was
 * stored.
 */
public final class StateCodec {
  public static final String FORMAT = "living-map-state/1";

  private StateCodec() {}

  public static JsonObject dump(StateCut cut) {
    JsonArray entities = new JsonArray();
    List<Entity> sorted = new ArrayList<>(cut.entities());
    sorted.sort(java.util.Comparator.comparing(Entity::id));
    for (Entity e : sorted) {
      entities.add(
          new JsonObject()
              .put("id", e.id())
              .put("type", e.type())
              .put("data", e.data())
              .put("extra", e.extra())
              .put("sources", new JsonArray(new ArrayList<>(e.sources())))
              .put("seq", e.seq())
              .put("updated_at", e.updatedAt() == null ? null : e.updatedAt().toString()));
    }
    return new JsonObject()
        .put("format", FORMAT)
        .put("epoch", cut.epoch())
        .put("seq", cut.seq())
        .put("at", cut.at().toString())
        .put("entities", entities)
        .put("aliases", new JsonObject(new HashMap<>(cut.aliases())))
        .put("stream_seq", cut.streamSeq());
  }

  /**
   * A stored state read from {@code p}, positioned on its value: the tree {@link #load} takes, read
   * straight into the compact form entities keep (see {@link FrozenJson#read}).
   */
  public static Object read(com.fasterxml.jackson.core.JsonParser p) throws java.io.IOException {
    return FrozenJson.read(p);
  }

  public static StateCut load(JsonObject dump) {
    if (!FORMAT.equals(dump.getString("format"))) {
      throw new IllegalArgumentException("not a stored state: format " + dump.getString("format"));
    }
    List<Entity> entities = new ArrayList<>();
    for (Object o : dump.getJsonArray("entities", new JsonArray())) {
      JsonObject j = (JsonObject) o;
      Set<String> sources = new HashSet<>();
      for (Object s : j.getJsonArray("sources", new JsonArray())) {
        sources.add(String.valueOf(s));
      }
      String updated = j.getString("updated_at");
      entities.add(
          new Entity(
              j.getString("id"),
              j.getString("type"),
              j.getJsonObject("data", new JsonObject()),
              j.getJsonObject("extra", new JsonObject()),
              Set.copyOf(sources),
              j.getLong("seq", 0L),
              updated == null ? null : Instant.parse(updated)));
    }
    Map<String, String> aliases = new HashMap<>();
    dump.getJsonObject("aliases", new JsonObject())
        .forEach(en -> aliases.put(en.getKey(), String.valueOf(en.getValue())));
    return new StateCut(
        dump.getString("epoch"),
        dump.getLong("seq", 0L),
        0,
        Instant.parse(dump.getString("at", Instant.EPOCH.toString())),
        entities,
        Map.copyOf(aliases),
        dump.getLong("stream_seq", 0L));
  }

  /**
   * A stored state loaded and checked as the live state must hold it: decodable, every number
   * finite, node metrics numbers, and the API snapshot buildable from it (what {@code /snapshot}
   * does with it). A stored snapshot written before the reducers checked what they store can hold
   * {@code "cpu":"Infinity"}; loading it as it is would make every {@code /snapshot} fail.
   *
   * @throws IllegalArgumentException saying what is wrong, when the stored state cannot be used
   */
  public static StateCut loadChecked(Object storedState) {
    if (!(storedState instanceof JsonObject dump)) {
      throw new IllegalArgumentException("the stored snapshot has no state object");
    }
    StateCut cut;
    try {
      cut = load(dump);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the stored state cannot be decoded: " + e, e);
    }
    for (Entity e : cut.entities()) {
      if (e.id() == null || e.type() == null) {
        throw new IllegalArgumentException("a stored entity has no id or type");
      }
      String bad = org.daarion.livingmap.event.FiniteNumbers.firstNonFinite(e.data());
      if (bad == null) {
        bad = org.daarion.livingmap.event.FiniteNumbers.firstNonFinite(e.extra());
      }
      if (bad != null) {
        throw new IllegalArgumentException(e.id() + " holds a number that is not finite at " + bad);
      }
      if (e.data().getValue("metrics") instanceof JsonObject metrics) {
        for (Map.Entry<String, Object> m : metrics) {
          if (m.getValue() != null && !(m.getValue() instanceof Number)) {
            throw new IllegalArgumentException(
                e.id() + " metrics." + m.getKey() + " is not a number: " + m.getValue());
          }
        }
      }
    }
    try {
      new SnapshotEncoder().encode(cut, new JsonObject());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("no snapshot can be built from the stored state: " + e, e);
    }
    return cut;
  }

  /**
   * The API snapshot at {@code at}: a stored state plus the events after it, applied by the same
   * reducers as the live state. Runs on the caller's thread on a private state.
   */
  public static JsonObject replay(
      JsonObject storedState,
      Iterable<org.daarion.livingmap.event.Event> events,
      Instant at,
      JsonObject meta) {
    StateCut base = load(storedState);
    LiveState s = new LiveState(base.epoch(), base.seq());
    for (Entity e : base.entities()) {
      s.put(e);
    }
    s.restoreAliases(base.aliases());
    for (org.daarion.livingmap.event.Event e : events) {
      if (e.seq() <= s.seq() && e.epoch() != null && e.epoch().equals(s.epoch())) {
        continue;
      }
      // An event the reducers refuse (stored before they checked) changes nothing, as live.
      Reducers.applyChecked(e, s.resolve(e.entityId()), e.seq(), s);
      s.position(e.epoch() == null ? s.epoch() : e.epoch(), e.seq());
    }
    return SnapshotBuilder.build(s.cut(at), meta);
  }
}
