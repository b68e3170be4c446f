package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Frames by key, least recently used evicted first, bounded by count and by bytes, and kept only
 * for the two newest generations (state versions) put: a connect is sent the newest snapshot, so a
 * frame of an older version is never asked for again, yet it kept that version's prepared bytes
 * outside the heap alive (at 100x DAARION, five versions of ~9 MB each after a burst of connects,
 * measured as ~130 MB of direct buffers still live after a full collection; 2026-12-06). The newest
 * frame stays even when it alone is over the byte bound: the connections asking for it right now
 * share it instead of each building their own. Any thread.
 */
final class FrameCache {
  private record Entry(Buffer frame, String generation) {}

  private final int maxEntries;
  private final long maxBytes;
  private final LinkedHashMap<String, Entry> frames = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;
  private String newest;
  private String previous;

  FrameCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  synchronized Buffer get(String key) {
    Entry e = frames.get(key);
    return e == null ? null : e.frame();
  }

  /** Keeps {@code frame} under {@code key}; {@code generation} names the state version it shows. */
  synchronized void put(String key, Buffer frame, String generation) {
    if (!generation.equals(newest) && !generation.equals(previous)) {
      // A generation not seen yet is the newest: state versions only move forward.
      previous = newest;
      newest = generation;
      for (Iterator<Entry> it = frames.values().iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (!e.generation().equals(newest) && !e.generation().equals(previous)) {
          bytes -= e.frame().length();
          it.remove();
        }
      }
    }
    Entry replaced = frames.put(key, new Entry(frame, generation));
    bytes += frame.length() - (replaced == null ? 0 : replaced.frame().length());
    Iterator<Map.Entry<String, Entry>> eldest = frames.entrySet().iterator();
    while (frames.size() > 1 && (frames.size() > maxEntries || bytes > maxBytes)) {
      bytes -= eldest.next().getValue().frame().length();
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
