package org.daarion.livingmap.state;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A built snapshot and its JSON bytes, serialised once and shared by every reader. Nobody mutates
 * {@code json} or {@code bytes}.
 */
public record Snapshot(
    String epoch, long seq, long version, Instant generatedAt, JsonObject json, Buffer bytes) {

  /** ETag for HTTP caching: one per state version and epoch. */
  public String etag() {
    return "\"" + epoch + "-" + version + "\"";
  }
}
