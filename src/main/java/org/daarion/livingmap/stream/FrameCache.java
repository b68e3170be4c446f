package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Frames by key, least recently used evicted first, bounded by count and by bytes. The newest frame
 * stays even when it alone is over the byte bound: the connections asking for it right now share it
 * instead of each building their own. Any thread.
 */
final class FrameCache {
  private final int maxEntries;
  private final long maxBytes;
  private final LinkedHashMap<String, Buffer> frames = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  FrameCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  synchronized Buffer get(String key) {
    return frames.get(key);
  }

  synchronized void put(String key, Buffer frame) {
    Buffer replaced = frames.put(key, frame);
    bytes += frame.length() - (replaced == null ? 0 : replaced.length());
    Iterator<Map.Entry<String, Buffer>> eldest = frames.entrySet().iterator();
    while (frames.size() > 1 && (frames.size() > maxEntries || bytes > maxBytes)) {
      bytes -= eldest.next().getValue().length();
      eldest.remove();
    }
  }

  synchronized long bytes() {
    return bytes;
  }

  synchronized int size() {
    return frames.size();
  }
}
