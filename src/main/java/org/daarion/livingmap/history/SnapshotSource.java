package org.daarion.livingmap.history;

import java.util.concurrent.CompletableFuture;

/**
 * Gives the current full state for storing. Implemented by the state package. May complete on any
 * thread (the state owner's, typically); the snapshot must be an immutable view or a copy, because
 * it is serialised on a history thread afterwards.
 */
@FunctionalInterface
public interface SnapshotSource {
  CompletableFuture<SnapshotData> current();
}
