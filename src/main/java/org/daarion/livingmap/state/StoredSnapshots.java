package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.function.Supplier;
import org.daarion.livingmap.event.Event;

/**
 * The JSON a stored snapshot keeps: the API snapshot, the full state it was built from ({@code
 * state}), and the alert silences ({@code silences}); and time travel's way back from it to the API
 * snapshot at an instant. {@code meta} gives the snapshot's metadata (sources, version) when
 * called.
 */
public final class StoredSnapshots {
  private final Supplier<JsonObject> meta;

  public StoredSnapshots(Supplier<JsonObject> meta) {
    this.meta = meta;
  }

  /** A stored snapshot of {@code cut}; runs on a snapshot worker. */
  public JsonObject stored(StateCut cut, JsonArray silences) {
    return SnapshotBuilder.build(cut, meta.get())
        .put("state", StateCodec.dump(cut))
        // Silences are operator state, not entity state: without them here a single instance
        // loses them on restart and a replica started after the stream's max_age never sees them.
        .put("silences", silences);
  }

  /** The silences a stored snapshot keeps, or null (those stored by older versions keep none). */
  public static JsonArray silences(JsonObject stored) {
    return stored.getValue("silences") instanceof JsonArray kept ? kept : null;
  }

  /** Time travel's replay: stored state + events → the API snapshot at {@code at}. */
  public JsonObject replay(JsonObject stored, Iterable<Event> events, Instant at) {
    JsonObject state = stored.getJsonObject("state");
    if (state == null) {
      throw new IllegalStateException("stored snapshot has no state to replay from");
    }
    return StateCodec.replay(state, events, at, meta.get().copy().put("time_travel", true));
  }
}
