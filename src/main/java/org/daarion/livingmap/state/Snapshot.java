package org.daarion.livingmap.state;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.daarion.livingmap.wire.Deflate;

/**
 * A built snapshot: its JSON bytes, serialised and compressed once and shared by every reader, and
 * the same as a JSON tree for the readers that reduce it (visibility classes, stream filters).
 *
 * <p>The snapshot is kept compressed ({@link #compressed}): gzip responses and compressed stream
 * frames splice those bytes. The plain bytes are inflated when first asked for and then kept with
 * the snapshot, and so is the tree, parsed from them. At 100x DAARION a version is prepared several
 * times a second and most are only ever sent compressed; keeping each one's 8.7 MB of plain bytes
 * outside the heap until the GC found them held 100-190 MB of direct memory (bench/scale.sh,
 * 2026-12-06). Nobody mutates the tree or the bytes.
 */
public final class Snapshot {
  private final String epoch;
  private final long seq;
  private final long version;
  private final Instant generatedAt;
  private final Deflate.Compressed compressed;
  private volatile Buffer bytes;
  private volatile JsonObject json;

  Snapshot(String epoch, long seq, long version, Instant generatedAt, Deflate.Compressed body) {
    this.epoch = epoch;
    this.seq = seq;
    this.version = version;
    this.generatedAt = generatedAt;
    this.compressed = body;
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

  /** The JSON bytes compressed (see {@link Deflate.Compressed}). */
  public Deflate.Compressed compressed() {
    return compressed;
  }

  /**
   * The JSON bytes, outside the heap; inflated on the first call (about 15 ms at 100x DAARION), so
   * never call it on an event loop unless {@link #hasBytes}.
   */
  public Buffer bytes() {
    Buffer b = bytes;
    if (b == null) {
      synchronized (this) {
        b = bytes;
        if (b == null) {
          b = Deflate.inflate(compressed);
          bytes = b;
        }
      }
    }
    return b;
  }

  /** Whether {@link #bytes} returns at once. */
  public boolean hasBytes() {
    return bytes != null;
  }

  /**
   * The snapshot as a tree; parsed once on first use (a race parses twice, harmlessly). Blocks as
   * {@link #bytes} does.
   */
  public JsonObject json() {
    JsonObject j = json;
    if (j == null) {
      j = new JsonObject(bytes());
      json = j;
    }
    return j;
  }

  /** ETag for HTTP caching: one per state version and epoch. */
  public String etag() {
    return "\"" + epoch + "-" + version + "\"";
  }
}
