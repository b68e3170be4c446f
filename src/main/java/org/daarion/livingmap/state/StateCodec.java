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
   * The API snapshot at {@code at}: a stored state plus the events after it, applied by the same
   * reducers as the live state. Runs on the caller's thread on a private state.
   */
  public static JsonObject replay(
      JsonObject storedState,
      List<org.daarion.livingmap.event.Event> events,
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
      Reducers.apply(e, s.resolve(e.entityId()), e.seq(), s);
      s.position(e.epoch() == null ? s.epoch() : e.epoch(), e.seq());
    }
    return SnapshotBuilder.build(s.cut(at), meta);
  }
}
