package org.daarion.livingmap.state;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Serves the current snapshot, built and serialised at most once per state version (and per change
 * of the meta it carries). Readers never wait for the state owner when nothing changed; otherwise
 * the owner takes a cheap cut and the build runs on {@code executor}.
 */
public final class SnapshotService {
  private final StateOwner owner;
  private final Executor executor;
  private final Supplier<JsonObject> meta;
  private volatile Snapshot cached;
  private volatile JsonObject cachedMeta;
  private CompletableFuture<Snapshot> inflight;

  /**
   * @param meta fields for the snapshot's {@code meta} (version, source_services, sources); called
   *     on every request, so it must be cheap
   */
  public SnapshotService(StateOwner owner, Executor executor, Supplier<JsonObject> meta) {
    this.owner = owner;
    this.executor = executor;
    this.meta = meta;
  }

  /** The snapshot at the current state version. Completes on {@code executor} or at once. */
  public CompletableFuture<Snapshot> current() {
    Snapshot c = cached;
    JsonObject m = meta.get();
    if (c != null && c.version() == owner.state().version() && m.equals(cachedMeta)) {
      return CompletableFuture.completedFuture(c);
    }
    synchronized (this) {
      if (inflight != null) {
        return inflight;
      }
      Snapshot stale = c;
      // When the owner is too busy to take a cut, the last snapshot (with its own seq) is the
      // honest answer: readers keep being served while ingest is saturated.
      CompletableFuture<Snapshot> f =
          owner
              .cut()
              .thenApplyAsync(cut -> build(cut, m), executor)
              .exceptionally(
                  err -> {
                    if (stale == null) {
                      throw new java.util.concurrent.CompletionException(err);
                    }
                    return stale;
                  });
      inflight = f;
      f.whenComplete(
          (s, err) -> {
            synchronized (this) {
              inflight = null;
              if (s != null && (cached == null || s.version() >= cached.version())) {
                cached = s;
                cachedMeta = m;
              }
            }
          });
      return f;
    }
  }

  /** Builds a snapshot from a cut taken elsewhere (stream subscriptions take their own cut). */
  public Snapshot build(StateCut cut) {
    Snapshot c = cached;
    JsonObject m = meta.get();
    if (c != null
        && c.version() == cut.version()
        && c.epoch().equals(cut.epoch())
        && m.equals(cachedMeta)) {
      return c;
    }
    Snapshot s = build(cut, m);
    synchronized (this) {
      if (cached == null || s.version() >= cached.version()) {
        cached = s;
        cachedMeta = m;
      }
    }
    return s;
  }

  private static Snapshot build(StateCut cut, JsonObject meta) {
    JsonObject json = SnapshotBuilder.build(cut, meta);
    return new Snapshot(cut.epoch(), cut.seq(), cut.version(), cut.at(), json, json.toBuffer());
  }
}
