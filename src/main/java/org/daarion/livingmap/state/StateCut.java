package org.daarion.livingmap.state;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Every entity as it was after the event at {@code seq}: what a snapshot is built from. Immutable;
 * building and serialising happen off the owner's thread.
 */
public record StateCut(
    String epoch,
    long seq,
    long version,
    Instant at,
    List<Entity> entities,
    Map<String, String> aliases,
    long streamSeq) {

  /** Immutable aliases (a copy unless they already are): readers may cache by their identity. */
  public StateCut {
    aliases = Map.copyOf(aliases);
  }

  /** Canonical id for a reference held in a field (an upstream UUID becomes {@code type:slug}). */
  public String resolve(String type, String ref) {
    if (ref == null) {
      return null;
    }
    String prefixed = ref.startsWith(type + ":") ? ref : type + ":" + ref;
    String alias = aliases.get(prefixed);
    return alias != null ? alias : prefixed;
  }
}
