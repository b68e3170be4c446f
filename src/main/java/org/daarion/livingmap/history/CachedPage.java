package org.daarion.livingmap.history;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.daarion.livingmap.wire.Deflate;

/**
 * A page of {@link RecentHistory} and its JSON bytes, encoded once for every response that sends
 * it; gzipped once too, when first asked: the 100x newest page is about 94 KB, and gzipping it per
 * response in the transport held {@code /history?limit=200} at c=32 to 1,291 req/s against 14,476
 * without gzip (bench/scale.sh, 2026-12-06). Its page is null when memory cannot answer (PostgreSQL
 * does). Shared, never mutated.
 */
final class CachedPage {
  /**
   * The level the HTTP transport compresses at (ApiServer): the same bytes on the wire as before.
   */
  private static final int GZIP_LEVEL = 1;

  static final CachedPage NONE = new CachedPage(-1, -1, null, null);

  final long version;
  final long responseBytes;
  final JsonObject page;
  final Buffer bytes;
  private Buffer gzip;

  CachedPage(long version, long responseBytes, JsonObject page, Buffer bytes) {
    this.version = version;
    this.responseBytes = responseBytes;
    this.page = page;
    this.bytes = bytes;
  }

  /** Requests that ask at once wait for one compression. */
  synchronized Buffer gzip() {
    if (gzip == null) {
      gzip = Deflate.gzip(bytes, GZIP_LEVEL);
    }
    return gzip;
  }
}
