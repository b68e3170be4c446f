package org.daarion.livingmap.state;

import io.vertx.core.buffer.Buffer;
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

  /**
   * A stored snapshot of {@code cut} as JSON bytes: {@code state} and {@code silences} first, then
   * the API snapshot's fields. Spliced from encoded bytes rather than built as a tree (a tree of
   * the 100x snapshot is some hundred megabytes of heap). Runs on a snapshot worker. What is read
   * back comes first, so that reading it back stops before the API snapshot (half the bytes).
   */
  public Buffer stored(StateCut cut, JsonArray silences) {
    Buffer api = new SnapshotEncoder().encode(cut, meta.get());
    Buffer state = StateCodec.dump(cut).toBuffer();
    // Silences are operator state, not entity state: without them here a single instance
    // loses them on restart and a replica started after the stream's max_age never sees them.
    Buffer kept = silences.toBuffer();
    if (api.length() < 2 || api.getByte(0) != '{') {
      throw new IllegalStateException("the encoded snapshot is not a JSON object");
    }
    boolean empty = api.length() == 2;
    return Buffer.buffer(api.length() + state.length() + kept.length() + 24)
        .appendString("{\"state\":")
        .appendBuffer(state)
        .appendString(",\"silences\":")
        .appendBuffer(kept)
        .appendString(empty ? "" : ",")
        .appendBuffer(api, 1, api.length() - 1);
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
