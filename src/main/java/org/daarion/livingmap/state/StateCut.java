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
    Map<String, String> aliases) {

  /** Canonical id for a reference held in a field (an upstream UUID becomes {@code type:slug}). */
  public String resolve(String type, String ref) {
    if (ref == null) {
      return null;
    }
    String whole = aliases.get(ref);
    if (whole != null) {
      return whole;
    }
    String prefixed = ref.startsWith(type + ":") ? ref : type + ":" + ref;
    String raw = prefixed.substring(type.length() + 1);
    String viaRaw = aliases.get(raw);
    return viaRaw != null ? viaRaw : prefixed;
  }
}
