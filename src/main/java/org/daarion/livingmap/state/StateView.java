package org.daarion.livingmap.state;

import java.util.Collection;

/**
 * What a reader outside the state owner sees of the live state: read-only, and live, not a copy.
 *
 * <p>It reads the owner's concurrent maps and volatile counters as they are while the owner keeps
 * writing. Each {@link Entity} is immutable, so one entity read is always whole; but two reads may
 * straddle an event ({@link #seq} may move between them, {@link #entities} is weakly consistent).
 * Inside a {@link StateOwner.Command} nothing writes while the command runs, so there the reads
 * agree with each other. A consistent picture of many entities at one {@code seq}, to keep or hand
 * to another thread, is a {@link StateCut} ({@link StateOwner#cut()}).
 */
public interface StateView {
  String epoch();

  /** The position of the last event applied. */
  long seq();

  /** Bumped on every change; a snapshot cut at one version is valid until the next. */
  long version();

  /** The newest JetStream stream sequence applied (0: none). */
  long streamSeq();

  /** The entity with canonical id {@code id}, or null. */
  Entity get(String id);

  int size();

  /** Every entity, unmodifiable, weakly consistent when read off the owner's thread. */
  Collection<Entity> entities();

  /**
   * The canonical id for a reference: itself when an entity has it, else the entity its raw part
   * (after {@code type:}) is an alias of, else itself.
   */
  String resolve(String ref);
}
