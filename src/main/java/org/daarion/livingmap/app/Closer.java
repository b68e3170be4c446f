package org.daarion.livingmap.app;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the wiring started, closed in reverse order of addition: the last started (HTTP, sources)
 * stop first, so the last events reach history and a final snapshot is stored before the database
 * stops. Added to from the wiring's worker and event-loop steps one after the other, never at once.
 */
final class Closer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Closer.class);

  private final List<AutoCloseable> closeables = new ArrayList<>();

  synchronized <T extends AutoCloseable> T add(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  @Override
  public synchronized void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("error while stopping: {}", e.toString());
      }
    }
    closeables.clear();
  }
}
