package org.daarion.livingmap.state;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.daarion.livingmap.wire.Deflate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the current snapshot as prepared bytes ({@link PreparedSnapshot}): built, serialised and
 * compressed once per <em>prepared</em> version and shared by every reader, HTTP and stream alike.
 *
 * <p><b>Coalescing.</b> With a {@code prepareInterval} above zero, versions that come faster than
 * the interval are coalesced: a snapshot is "the state as of seq N", and readers continue from N
 * with the stream. While the state changes, a background task prepares a new version at most once
 * per interval, and never more often than every {@link #DUTY} times the last preparation took (so
 * that preparing holds at most about a third of a core at any size). Once a version is prepared, a
 * reader is answered at once from the last prepared version; one that finds it stale and old (a
 * quiet state that just changed) starts the next preparation in the background, and so does one
 * that finds the meta changed (a poll published) when preparing takes longer than {@link
 * #META_WAIT}: the meta, like the state, is then as of the last preparation. Only readers that come
 * before the first preparation, or find new meta while preparing is quick, wait for it. With an
 * interval of zero every change of version is prepared on demand and its readers wait for it
 * (tests, and the previous behaviour).
 *
 * <p><b>Variants.</b> Variants keyed by visibility class (see {@link PreparedSnapshot#variant}) are
 * encoded once per prepared version; those asked for recently ({@link #HOT_FOR}) are prepared
 * together with the next version, at most {@link #MAX_HOT_VARIANTS} of them, so their readers do
 * not wait either.
 */
public final class SnapshotService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotService.class);

  /** The interval when none is configured: every change of version is prepared on demand. */
  public static final Duration ON_DEMAND = Duration.ZERO;

  /** A preparation waits at least this many times the last one's duration after it. */
  static final int DUTY = 2;

  /**
   * Readers wait for a preparation with new meta while preparing takes at most this long (at
   * DAARION's size today a few milliseconds, so the meta is always the sources' current view);
   * beyond it they are answered with the last prepared snapshot and its meta.
   */
  static final Duration META_WAIT = Duration.ofMillis(50);

  /**
   * Versions are prepared ahead only while a reader asked within this time. At 100x DAARION each
   * preparation compresses 8.7 MB (about a tenth of a second of a core), two or three times a
   * second, for nobody once readers stop. A reader that comes later, when the last prepared version
   * is older than this and the state moved, waits for one preparation instead of being answered
   * with an arbitrarily old snapshot.
   */
  static final Duration IDLE_AFTER = Duration.ofSeconds(10);

  /**
   * While stream clients are connected ({@link #keepWarmWhile}), a version at most this old is kept
   * prepared even when no reader asks, so that the next page load is answered at once: after a
   * quiet spell it waited for a preparation, 0.3-1 s at 100x, most of the page's first draw. One
   * preparation per interval is the price (at 100x about 0.3 s of CPU).
   */
  static final Duration WATCHED_EVERY = Duration.ofSeconds(5);

  /** A variant asked for within this time is prepared ahead with each new version. */
  static final Duration HOT_FOR = Duration.ofSeconds(60);

  /**
   * Variants prepared ahead at most: each holds its identity and gzip bytes (about 8.7 MB at 100x
   * DAARION for the full view), so this bounds the prepared bytes to a few tens of MB.
   */
  static final int MAX_HOT_VARIANTS = 4;

  private final StateOwner owner;
  private final Executor executor;
  private final Supplier<JsonObject> meta;
  private final long intervalNanos;
  private final ScheduledExecutorService ticker;

  /** Keeps each entity's encoded item between versions; one preparation uses it at a time. */
  private final SnapshotEncoder encoder = new SnapshotEncoder();

  private volatile PreparedSnapshot latest;
  private CompletableFuture<PreparedSnapshot> inflight; // guarded by this
  private long lastPrepareNanos; // guarded by this
  private volatile long lastAskedNanos = System.nanoTime();
  private final long metaWaitNanos;
  private final long idleAfterNanos;
  private final long watchedEveryNanos;
  private volatile BooleanSupplier watched = () -> false;

  private record Hot(UnaryOperator<JsonObject> reducer, long lastUsedNanos) {}

  private final Map<String, Hot> hot = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong preparations =
      new java.util.concurrent.atomic.AtomicLong();

  /** On demand: every change of version is prepared when first asked for. */
  public SnapshotService(StateOwner owner, Executor executor, Supplier<JsonObject> meta) {
    this(owner, executor, meta, ON_DEMAND);
  }

  /**
   * @param meta fields for the snapshot's {@code meta} (version, source_services, sources); called
   *     on every request, so it must be cheap
   * @param prepareInterval how often at most a changing state is prepared again; zero for on demand
   */
  public SnapshotService(
      StateOwner owner, Executor executor, Supplier<JsonObject> meta, Duration prepareInterval) {
    this(owner, executor, meta, prepareInterval, META_WAIT, IDLE_AFTER, WATCHED_EVERY);
  }

  /**
   * As above, with the longest preparation readers wait for new meta, the time after the last
   * reader that versions are still prepared ahead, and how old a version may grow while watched
   * (tests).
   */
  SnapshotService(
      StateOwner owner,
      Executor executor,
      Supplier<JsonObject> meta,
      Duration prepareInterval,
      Duration metaWait,
      Duration idleAfter,
      Duration watchedEvery) {
    this.metaWaitNanos = metaWait.toNanos();
    this.idleAfterNanos = idleAfter.toNanos();
    this.watchedEveryNanos = watchedEvery.toNanos();
    this.owner = owner;
    this.executor = executor;
    this.meta = meta;
    this.intervalNanos = prepareInterval.toNanos();
    if (intervalNanos > 0) {
      ticker =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "snapshot-prepare");
                t.setDaemon(true);
                return t;
              });
      long ms = Math.max(1, prepareInterval.toMillis());
      ticker.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
    } else {
      ticker = null;
    }
  }

  /** The snapshot readers are served now (see the class Javadoc). */
  public CompletableFuture<Snapshot> current() {
    return prepared().thenApply(PreparedSnapshot::snapshot);
  }

  /** The prepared snapshot readers are served now; completes at once unless it must wait. */
  public CompletableFuture<PreparedSnapshot> prepared() {
    PreparedSnapshot p = latest;
    JsonObject m = meta.get();
    long now = asked();
    if (p != null && now - p.readyNanos() > idleAfterNanos && !current(p)) {
      // Nothing was prepared ahead meanwhile (no reader asked): this reader waits for a version.
      return refresh(m);
    }
    if (p != null) {
      boolean sameMeta = sameMeta(m, p);
      if (sameMeta && current(p)) {
        return CompletableFuture.completedFuture(p);
      }
      if (intervalNanos > 0 && (sameMeta || slowToPrepare())) {
        // Coalesced: a reader never waits for a preparation once one exists. A stale, old version
        // is replaced in the background; its readers are answered with it meanwhile (the
        // snapshot says its seq, and the stream continues from there). New meta (a poll
        // published, every few seconds at 100x) is prepared at once, and waited for only while
        // preparing is quick: at 100x every reader waiting on each of those preparations was
        // the snapshot's p99 (689 ms against 222 ms without the wait, 2026-12-06).
        synchronized (this) {
          if (inflight == null && (!sameMeta || System.nanoTime() >= p.freshUntilNanos())) {
            refresh(m);
          }
        }
        return CompletableFuture.completedFuture(p);
      }
    }
    return refresh(m);
  }

  /**
   * A version prepared from now on: the preparation in progress, or a new one. Completes with the
   * last prepared version when the owner is too busy to take a cut.
   */
  public CompletableFuture<PreparedSnapshot> fresh() {
    return refresh(meta.get());
  }

  /**
   * Whether the last preparation took longer than {@link #META_WAIT}: then new meta is not waited
   * for, and readers get the last prepared snapshot with the meta it was prepared with.
   */
  private synchronized boolean slowToPrepare() {
    return lastPrepareNanos > metaWaitNanos;
  }

  /** Whether versions are coalesced (a prepare interval is set) rather than prepared on demand. */
  public boolean coalesces() {
    return intervalNanos > 0;
  }

  /**
   * The last prepared snapshot, or null before the first; never waits. Any thread. Counts as a
   * reader asking: versions are then prepared ahead again (see {@link #IDLE_AFTER}).
   */
  public PreparedSnapshot latest() {
    asked();
    return latest;
  }

  private long asked() {
    long now = System.nanoTime();
    lastAskedNanos = now;
    return now;
  }

  /**
   * While {@code watched} is true (stream clients connected), versions are prepared ahead at least
   * every {@link #WATCHED_EVERY} even without a reader asking.
   */
  public void keepWarmWhile(BooleanSupplier watched) {
    this.watched = watched;
  }

  /** Notes that {@code key} was asked for, so that the next versions prepare it ahead. */
  void touch(String key, UnaryOperator<JsonObject> reducer) {
    if (!key.isEmpty()) {
      hot.put(key, new Hot(reducer, System.nanoTime()));
    }
  }

  private void tick() {
    try {
      PreparedSnapshot p = latest;
      if (p == null) {
        return;
      }
      long now = System.nanoTime();
      if (now - lastAskedNanos > idleAfterNanos
          && !(now - p.readyNanos() >= watchedEveryNanos && watched.getAsBoolean())) {
        return;
      }
      JsonObject m = meta.get();
      if (current(p) && sameMeta(m, p)) {
        return;
      }
      synchronized (this) {
        if (inflight != null || System.nanoTime() < p.freshUntilNanos()) {
          return;
        }
      }
      refresh(m);
    } catch (RuntimeException e) {
      log.warn("snapshot preparation tick failed", e);
    }
  }

  private CompletableFuture<PreparedSnapshot> refresh(JsonObject m) {
    synchronized (this) {
      if (inflight != null) {
        return inflight;
      }
      PreparedSnapshot stale = latest;
      CompletableFuture<PreparedSnapshot> f =
          owner
              .cut()
              .thenApplyAsync(cut -> prepare(cut, m), executor)
              .exceptionally(
                  err -> {
                    // When the owner is too busy to take a cut, the last snapshot (with its own
                    // seq) is the honest answer: readers keep being served while ingest saturates.
                    if (stale == null) {
                      throw err instanceof CompletionException c ? c : new CompletionException(err);
                    }
                    return stale;
                  });
      inflight = f;
      f.whenComplete(
          (p, err) -> {
            synchronized (this) {
              inflight = null;
              publish(p);
            }
          });
      return f;
    }
  }

  /** Builds a snapshot from a cut taken elsewhere (stream subscriptions take their own cut). */
  public Snapshot build(StateCut cut) {
    PreparedSnapshot c = latest;
    JsonObject m = meta.get();
    if (c != null
        && c.version() == cut.version()
        && c.snapshot().epoch().equals(cut.epoch())
        && sameMeta(m, c)) {
      return c.snapshot();
    }
    PreparedSnapshot p = prepare(cut, m);
    synchronized (this) {
      publish(p);
    }
    return p.snapshot();
  }

  /**
   * Whether {@code p} was cut at the state's current version. Cluster mode's version is the stream
   * sequence, which starts again in a recreated stream's epoch, so the epoch must match too.
   */
  private boolean current(PreparedSnapshot p) {
    StateView s = owner.state();
    return p.version() == s.version() && p.epoch().equals(s.epoch());
  }

  private static boolean sameMeta(JsonObject m, PreparedSnapshot p) {
    return m == p.meta() || m.equals(p.meta());
  }

  private void publish(PreparedSnapshot p) {
    if (p != null
        && (latest == null
            || p.version() >= latest.version()
            || !p.epoch().equals(latest.epoch()))) {
      latest = p;
    }
  }

  private PreparedSnapshot prepare(StateCut cut, JsonObject m) {
    preparations.incrementAndGet();
    long start = System.nanoTime();
    Deflate.Compressed body = encoder.encodeCompressed(cut, m, PreparedSnapshot.GZIP_LEVEL);
    Snapshot s = new Snapshot(cut.epoch(), cut.seq(), cut.version(), cut.at(), body);
    PreparedSnapshot p = new PreparedSnapshot(s, m, executor, this);
    p.prepareFull();
    long now = System.nanoTime();
    hot.values().removeIf(h -> now - h.lastUsedNanos() > HOT_FOR.toNanos());
    hot.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue().lastUsedNanos(), a.getValue().lastUsedNanos()))
        .limit(MAX_HOT_VARIANTS)
        .forEach(e -> p.prepareNow(e.getKey(), e.getValue().reducer()));
    long ready = System.nanoTime();
    long took = ready - start;
    p.ready(ready, ready + Math.max(intervalNanos, (DUTY - 1) * took));
    synchronized (this) {
      lastPrepareNanos = took;
    }
    return p;
  }

  /** Versions prepared so far (metrics, tests). */
  public long preparations() {
    return preparations.get();
  }

  /** Nanoseconds the last preparation took (metrics, tests). */
  public synchronized long lastPrepareNanos() {
    return lastPrepareNanos;
  }

  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }
}
