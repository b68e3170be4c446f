package org.daarion.livingmap.state;

import io.vertx.core.json.JsonObject;

/**
 * Builds the snapshot of CONTRACT section 2 from a {@link StateCut} as a JSON tree, for the callers
 * that change it (stored snapshots, time travel). Pure and deterministic: the same cut gives the
 * same JSON (entities sorted by id), so replicas at one seq agree byte for byte apart from {@code
 * generated_at}. The live snapshot is encoded to bytes without a tree ({@link SnapshotEncoder}).
 */
public final class SnapshotBuilder {
  private SnapshotBuilder() {}

  /**
   * @param meta extra fields for {@code meta} (service version, source states); the builder adds
   *     {@code generated_at}, {@code seq}, {@code epoch} and {@code state_version}
   */
  public static JsonObject build(StateCut cut, JsonObject meta) {
    return new JsonObject(new SnapshotEncoder().encode(cut, meta));
  }
}
