package org.daarion.livingmap.state;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory projection of every entity. Written only by the {@link StateOwner}'s thread (its
 * writers are package-private); everyone else gets it as a {@link StateView}: a live, read-only
 * window on the same concurrent maps, not an immutable copy. A consistent view of many entities at
 * one {@code seq} comes only from {@link #cut}, taken on the owner's thread.
 */
public final class LiveState implements StateView {
  private final ConcurrentHashMap<String, Entity> entities = new ConcurrentHashMap<>();

  /**
   * Upstream UUIDs, slugs and other raw keys to canonical ids, typed: the key {@code dao:<uuid>}
   * names {@code dao:<slug>}, so a slug shared by a DAO and a microDAO never crosses types.
   */
  private final ConcurrentHashMap<String, String> aliases = new ConcurrentHashMap<>();

  // The immutable copy the last cut handed out, until an alias changes: copying 27,700 aliases
  // per prepared version was a tenth of the owner's CPU at 100x, and an unchanged map lets the
  // snapshot encoder keep each item's resolved references (JFR, 2026-12-06). Owner thread only.
  private Map<String, String> aliasesCut;

  /**
   * While a reducer runs: what each entity and alias it touched was before (null: absent), so a
   * reducer that fails half-way leaves no trace ({@link #rollBack}). Owner thread only; the lists
   * are reused from event to event.
   */
  private boolean recording;

  private final List<String> touchedIds = new ArrayList<>();
  private final List<Entity> priorEntities = new ArrayList<>();
  private final List<String> touchedAliases = new ArrayList<>();
  private final List<String> priorAliases = new ArrayList<>();

  private volatile String epoch;
  private volatile long seq;
  private volatile long version;

  /** The newest JetStream stream sequence applied (0: none), to recognise redeliveries. */
  private volatile long streamSeq;

  public LiveState(String epoch, long seq) {
    this.epoch = epoch;
    this.seq = seq;
  }

  @Override
  public String epoch() {
    return epoch;
  }

  /** The position of the last event applied. */
  @Override
  public long seq() {
    return seq;
  }

  /** Bumped on every change; a snapshot cut at one version is valid until the next. */
  @Override
  public long version() {
    return version;
  }

  @Override
  public long streamSeq() {
    return streamSeq;
  }

  void streamSeq(long value) {
    this.streamSeq = value;
  }

  /**
   * Cluster mode: the version is the seq, so that replicas at the same seq report the same version
   * (every change there comes from an event at a seq, or a restore to one).
   */
  void versionTo(long value) {
    this.version = value;
  }

  /** Cluster mode: the position jumps to a stream sequence (higher than the current one). */
  void seqTo(long value) {
    this.seq = value;
  }

  /** A scratch copy (entities and aliases) to compute changes on without changing this state. */
  LiveState copy() {
    LiveState c = new LiveState(epoch, seq);
    c.entities.putAll(entities);
    c.aliases.putAll(aliases);
    c.streamSeq = streamSeq;
    return c;
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

  @Override
  public Entity get(String id) {
    return id == null ? null : entities.get(id);
  }

  @Override
  public int size() {
    return entities.size();
  }

  /** Every entity, weakly consistent when read off the owner's thread. */
  @Override
  public Collection<Entity> entities() {
    return Collections.unmodifiableCollection(entities.values());
  }

  /** Stores {@code e}; an entity with firing alerts keeps showing them ({@link AlertMarks}). */
  void put(Entity e) {
    e = AlertMarks.settle(e);
    Entity prior = entities.put(e.id(), e);
    if (recording) {
      touchedIds.add(e.id());
      priorEntities.add(prior);
    }
    version++;
  }

  Entity remove(String id) {
    Entity removed = entities.remove(id);
    if (recording && removed != null) {
      touchedIds.add(id);
      priorEntities.add(removed);
    }
    if (removed != null) {
      version++;
    }
    return removed;
  }

  void clear() {
    entities.clear();
    aliases.clear();
    aliasesCut = null;
    version++;
  }

  /** Restores aliases exactly as a {@link StateCut} holds them (already typed). */
  void restoreAliases(Map<String, String> typed) {
    aliases.putAll(typed);
    aliasesCut = null;
  }

  /**
   * Records that {@code key} (an upstream UUID, slug, ...) means the entity {@code id}.
   *
   * @return whether that was news (the alias was unknown or meant another entity)
   */
  boolean alias(String key, String id) {
    if (key == null || key.isBlank() || id == null) {
      return false;
    }
    int colon = id.indexOf(':');
    String typed =
        colon > 0 && !key.startsWith(id.substring(0, colon + 1))
            ? id.substring(0, colon + 1) + key
            : key;
    if (!typed.equals(id)) {
      String prior = aliases.put(typed, id);
      if (!id.equals(prior)) {
        aliasesCut = null;
      }
      if (recording) {
        touchedAliases.add(typed);
        priorAliases.add(prior);
      }
      return !id.equals(prior);
    }
    return false;
  }

  /** Starts recording changes so that {@link #rollBack} can undo them. Owner thread only. */
  void beginChange() {
    touchedIds.clear();
    priorEntities.clear();
    touchedAliases.clear();
    priorAliases.clear();
    recording = true;
  }

  /** Keeps the changes made since {@link #beginChange}. */
  void commitChange() {
    recording = false;
    touchedIds.clear();
    priorEntities.clear();
    touchedAliases.clear();
    priorAliases.clear();
  }

  /** Undoes every change since {@link #beginChange}, newest first. */
  void rollBack() {
    recording = false;
    for (int i = touchedIds.size() - 1; i >= 0; i--) {
      Entity prior = priorEntities.get(i);
      if (prior == null) {
        entities.remove(touchedIds.get(i));
      } else {
        entities.put(prior.id(), prior);
      }
    }
    if (!touchedAliases.isEmpty()) {
      aliasesCut = null;
    }
    for (int i = touchedAliases.size() - 1; i >= 0; i--) {
      String prior = priorAliases.get(i);
      if (prior == null) {
        aliases.remove(touchedAliases.get(i));
      } else {
        aliases.put(touchedAliases.get(i), prior);
      }
    }
    version++;
    commitChange();
  }

  /** The entities changed since {@link #beginChange} as they are now (absent ones left out). */
  List<Entity> changedEntities() {
    List<Entity> out = new ArrayList<>(touchedIds.size());
    for (String id : touchedIds) {
      Entity e = entities.get(id);
      if (e != null) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * The canonical id for a reference: itself when an entity has it, else the entity its raw part
   * (after {@code type:}) is an alias of, else itself.
   */
  @Override
  public String resolve(String ref) {
    if (ref == null || entities.containsKey(ref)) {
      return ref;
    }
    String alias = aliases.get(ref);
    if (alias != null) {
      return alias;
    }
    if (ref.indexOf(':') < 0) {
      // A bare upstream key (a UUID from a URL): whichever type knows it.
      for (String type : EntityTypes.TYPES) {
        String typed = aliases.get(type + ":" + ref);
        if (typed != null) {
          return typed;
        }
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
    if (aliasesCut == null) {
      aliasesCut = Map.copyOf(aliases);
    }
    return new StateCut(epoch, seq, version, at, all, aliasesCut, streamSeq);
  }
}
