package org.daarion.livingmap.history;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The full live state at one position, as the state package hands it over to be stored.
 *
 * @param seq the last event seq applied to this state
 * @param epoch the epoch of that seq
 * @param generatedAt when the state was at this position
 * @param version the service version (stored in the {@code version} column)
 * @param snapshot the snapshot JSON (the {@code GET /living-map/snapshot} body); not mutated after
 *     being handed over
 */
public record SnapshotData(
    long seq, String epoch, Instant generatedAt, String version, JsonObject snapshot) {}
