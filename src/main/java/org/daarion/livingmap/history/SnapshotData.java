package org.daarion.livingmap.history;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The full live state at one position, as the state package hands it over to be stored.
 *
 * @param seq the last event seq applied to this state
 * @param epoch the epoch of that seq
 * @param generatedAt when the state was at this position
 * @param version the service version (stored in the {@code version} column)
 * @param body the stored JSON object's bytes (the {@code GET /living-map/snapshot} body and what
 *     time travel replays from); not changed after being handed over. Bytes, not a tree: at 100x
 *     DAARION a tree of it is some hundred megabytes of short-lived heap every interval.
 */
public record SnapshotData(
    long seq, String epoch, Instant generatedAt, String version, Buffer body) {
  public SnapshotData(
      long seq, String epoch, Instant generatedAt, String version, JsonObject snapshot) {
    this(seq, epoch, generatedAt, version, snapshot.toBuffer());
  }
}
