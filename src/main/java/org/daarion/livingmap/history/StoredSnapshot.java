package org.daarion.livingmap.history;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A row of {@code living_map_snapshots}. {@code seq} and {@code epoch} are null on rows the
 * original service wrote. {@code snapshot} is null in listings.
 */
public record StoredSnapshot(
    String id,
    Instant generatedAt,
    Long seq,
    String epoch,
    String version,
    boolean compressed,
    Integer sizeBytes,
    JsonObject snapshot) {

  /** The same row without its body: what a result keeps after the body was read. */
  public StoredSnapshot withoutBody() {
    return new StoredSnapshot(id, generatedAt, seq, epoch, version, compressed, sizeBytes, null);
  }

  /** The listing entry for {@code GET /living-map/snapshots} (no body). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("generated_at", generatedAt.toString())
        .put("seq", seq)
        .put("epoch", epoch)
        .put("version", version)
        .put("size_bytes", sizeBytes)
        .put("compressed", compressed);
  }
}
