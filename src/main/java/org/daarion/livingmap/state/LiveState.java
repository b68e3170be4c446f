package org.daarion.livingmap.state;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory projection of every entity. Written only by the {@link StateOwner}'s thread; other
 * threads may read single entities (each is immutable) and the volatile counters, but a consistent
 * view of many entities at one {@code seq} comes only from {@link #cut}, taken on the owner's
 * thread.
 */
public final class LiveState {
  private final ConcurrentHashMap<String, Entity> entities = new ConcurrentHashMap<>();

  /** Upstream UUIDs, slugs and other raw keys to canonical ids. */
  private final ConcurrentHashMap<String, String> aliases = new ConcurrentHashMap<>();

  private volatile String epoch;
  private volatile long seq;
  private volatile long version;

  public LiveState(String epoch, long seq) {
    this.epoch = epoch;
    this.seq = seq;
  }

  public String epoch() {
    return epoch;
  }

  /** The position of the last event applied. */
  public long seq() {
    return seq;
  }

  /** Bumped on every change; a snapshot cut at one version is valid until the next. */
  public long version() {
    return version;
  }

  long nextSeq() {
    return ++seq;
  }

  /** Resets the position, for restoring a stored snapshot under its own epoch. */
  void position(String newEpoch, long newSeq) {
    this.epoch = newEpoch;
    this.seq = newSeq;
    version++;
  }

  public Entity get(String id) {
    return id == null ? null : entities.get(id);
  }

  public int size() {
    return entities.size();
  }

  /** Every entity, weakly consistent when read off the owner's thread. */
  public Collection<Entity> entities() {
    return Collections.unmodifiableCollection(entities.values());
  }

  /** Stores {@code e}; an entity with firing alerts keeps showing them ({@link AlertMarks}). */
  void put(Entity e) {
    e = AlertMarks.settle(e);
    entities.put(e.id(), e);
    version++;
  }

  Entity remove(String id) {
    Entity removed = entities.remove(id);
    if (removed != null) {
      version++;
    }
    return removed;
  }

  void clear() {
    entities.clear();
    aliases.clear();
    version++;
  }

  /** Records that {@code key} (an upstream UUID, slug, ...) means the entity {@code id}. */
  void alias(String key, String id) {
    if (key != null && !key.isBlank() && !key.equals(id)) {
      aliases.put(key, id);
    }
  }

  /**
   * The canonical id for a reference: itself when an entity has it, else the entity its raw part
   * (after {@code type:}) is an alias of, else itself.
   */
  public String resolve(String ref) {
    if (ref == null || entities.containsKey(ref)) {
      return ref;
    }
    String byWhole = aliases.get(ref);
    if (byWhole != null) {
      return byWhole;
    }
    int colon = ref.indexOf(':');
    if (colon > 0) {
      String byRaw = aliases.get(ref.substring(colon + 1));
      if (byRaw != null && byRaw.startsWith(ref.substring(0, colon + 1))) {
        return byRaw;
      }
    }
    return ref;
  }

  Map<String, String> aliases() {
    return aliases;
  }

  /** A consistent copy of the whole state. Call on the owner's thread only. */
  StateCut cut(java.time.Instant at) {
    List<Entity> all = new ArrayList<>(entities.values());
    return new StateCut(epoch, seq, version, at, all, Map.copyOf(aliases));
  }
}
