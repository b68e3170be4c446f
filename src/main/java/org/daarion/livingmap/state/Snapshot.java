package org.daarion.livingmap.state;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A built snapshot: its JSON bytes, serialised once and shared by every reader, and the same as a
 * JSON tree for the readers that reduce it (visibility classes, stream filters). The tree is parsed
 * from the bytes when first asked for and then kept with the snapshot: the live snapshot is encoded
 * without one ({@link SnapshotEncoder}), and most versions are only ever sent as bytes. Nobody
 * mutates the tree or the bytes.
 */
public final class Snapshot {
  private final String epoch;
  private final long seq;
  private final long version;
  private final Instant generatedAt;
  private final Buffer bytes;
  private volatile JsonObject json;

  Snapshot(String epoch, long seq, long version, Instant generatedAt, Buffer bytes) {
    this.epoch = epoch;
    this.seq = seq;
    this.version = version;
    this.generatedAt = generatedAt;
    this.bytes = bytes;
  }

  public String epoch() {
    return epoch;
  }

  public long seq() {
    return seq;
  }

  public long version() {
    return version;
  }

  public Instant generatedAt() {
    return generatedAt;
  }

  public Buffer bytes() {
    return bytes;
  }

  /** The snapshot as a tree; parsed once on first use (a race parses twice, harmlessly). */
  public JsonObject json() {
    JsonObject j = json;
    if (j == null) {
      j = new JsonObject(bytes);
      json = j;
    }
    return j;
  }

  /** ETag for HTTP caching: one per state version and epoch. */
  public String etag() {
    return "\"" + epoch + "-" + version + "\"";
  }
}
