package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventSink;
import org.daarion.livingmap.state.PreparedSnapshot;
import org.daarion.livingmap.state.Snapshot;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateCut;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.visibility.Visibility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream's hub (centrifuge's {@code hub.go}): receives sequenced batches from the {@link
 * StateOwner}, serialises each event <b>once</b> into a {@link Frame}, keeps the most recent frames
 * in a bounded ring for resume, and hands each batch to every subscribed connection whose filter
 * wants it.
 *
 * <p><b>Threads.</b> {@link #onEvents} runs on the state owner's thread; so do subscription changes
 * (they are owner commands), which makes the subscriber list, the ring and the position owner-owned
 * state with no lock. Per batch and connection the hub appends the frames the connection wants to
 * that connection's bounded queue and schedules at most one drain on the connection's Vert.x
 * context; it never writes to a socket and never blocks.
 *
 * <p><b>Positions.</b> A subscription is made inside an owner command at the state's current {@code
 * seq} S: the connection then receives exactly the events with {@code seq > S}, in order. What it
 * needs before that comes from a snapshot cut in the same command (seq S), or on resume from the
 * ring and the {@link MissedEvents} history, events {@code (since_seq, S]}. Requests arriving
 * together share one owner command, one cut and one snapshot build.
 *
 * <p><b>Overflow.</b> When a batch would take a connection's queue past its bound, the hub drops
 * the connection's queue and unsubscribes it at once; the connection then asks for a resync
 * snapshot. Queue memory is thus bounded by {@code queueCapacity} frames per connection (frames are
 * shared, so a queue holds references, not copies).
 *
 * <p><b>Epochs.</b> If the events change epoch or their seq jumps (state restored), the ring is
 * cleared and every subscriber is resynchronised.
 *
 * <p><b>Cluster mode</b> ({@code streamPositions}): seqs are JetStream stream sequences, ascending
 * with holes (messages this replica did not apply). Each event frame then carries {@code prev_seq},
 * the seq of the event before it, identical on every replica; a seq above the last one is no
 * discontinuity, only an epoch change or a seq that goes back is. A resume older than the ring is
 * served from history when {@code missed} can vouch that history is complete that far (see
 * Application: the shared durable consumer's ack floor), else a resync snapshot. A client that
 * comes from a replica further along the stream than this one (its {@code since_seq} is ahead)
 * waits, up to {@link #CATCH_UP}, until this replica has applied that far, and is then resumed from
 * there; a resync snapshot if it has not by then (looked at as events arrive, so a replica that
 * applies nothing keeps the resume waiting until it does, or the client gives up).
 */
public final class StreamHub implements EventSink {
  private static final Logger log = LoggerFactory.getLogger(StreamHub.class);

  /** Limits of the hub. */
  public record Options(int ringCapacity, long ringBytes, int maxReplay) {
    /** 50,000 frames or 64 MiB, whichever is hit first; resumes of up to 100,000 events. */
    public static Options defaults() {
      return new Options(50_000, 16L * 1024 * 1024, 100_000);
    }

    /**
     * These options with the ring bounded by {@code bytes} ({@code LIVING_MAP_STREAM_RING_BYTES}).
     */
    public Options withRingBytes(long bytes) {
      return new Options(ringCapacity, bytes, maxReplay);
    }
  }

  /**
   * @param waited whether it already waited for a fresh prepared snapshot (it waits at most once)
   */
  private record Request(
      StreamConnection conn,
      String epoch,
      long sinceSeq,
      String reason,
      CompletableFuture<Sync> result,
      boolean waited) {
    Request waiting() {
      return new Request(conn, epoch, sinceSeq, reason, result, true);
    }
  }

  private final StateOwner owner;
  private final SnapshotService snapshots;
  private final Executor executor;
  private final Options options;
  private final StreamStats stats;
  private volatile MissedEvents missed;

  // owner-thread state
  private final List<StreamConnection> subscribers = new ArrayList<>();

  /**
   * Events a connect may replay after a prepared snapshot; further behind, it gets a fresh one. At
   * 2,000 events/s a prepared snapshot is well under a second (under 2,000 events) old.
   */
  static final long PREPARED_MAX_GAP = 20_000;

  /**
   * Cluster mode: how long a resume from ahead of this replica waits for it to catch up. A minute,
   * not seconds: a survivor of a failover can be tens of seconds behind the replica that died while
   * ingest ran at full rate (CI, 2026-12-06: more than 10 s, and the client got a resync snapshot
   * older than what it had seen), and a gap-free resume is worth the wait; WebSocket pings go on
   * meanwhile.
   */
  static final java.time.Duration CATCH_UP = java.time.Duration.ofSeconds(60);

  /** Cluster mode: resumes from ahead, with when they started waiting (nanoTime). */
  private final Map<Request, Long> waiting = new LinkedHashMap<>();

  /** Cluster mode: resumes that waited {@link #CATCH_UP} in vain; they get a resync snapshot. */
  private final java.util.Set<Request> gaveUp = new java.util.HashSet<>();

  /** Snapshot frames by (version, filter, class): a connect burst shares one frame. */
  private final SnapshotFrames snapshotFrames = new SnapshotFrames();

  private final FrameRing ring;
  private final EventFrameEncoder encoder = new EventFrameEncoder(); // owner thread only
  private String ringEpoch;
  private final boolean streamPositions;

  /** Cluster mode: the seq of the last event published (the next frame's prev_seq), or -1. */
  private long lastSeq = -1;

  private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean commandScheduled = new AtomicBoolean();

  /**
   * @param executor where snapshots are built and filtered (a worker pool, never an event loop)
   * @param missed history for resumes older than the ring, or null for none
   */
  public StreamHub(
      StateOwner owner,
      SnapshotService snapshots,
      Executor executor,
      MissedEvents missed,
      Options options,
      StreamStats stats) {
    this(owner, snapshots, executor, missed, options, stats, false);
  }

  /**
   * @param streamPositions cluster mode: seqs are stream sequences with holes (see the class
   *     Javadoc); {@code missed} must then return only complete runs
   */
  public StreamHub(
      StateOwner owner,
      SnapshotService snapshots,
      Executor executor,
      MissedEvents missed,
      Options options,
      StreamStats stats,
      boolean streamPositions) {
    this.streamPositions = streamPositions;
    this.missed = missed == null ? MissedEvents.NONE : missed;
    this.owner = owner;
    this.snapshots = snapshots;
    this.executor = executor;
    this.options = options;
    this.stats = stats;
    this.ring = new FrameRing(options.ringCapacity(), options.ringBytes());
  }

  public StreamStats stats() {
    return stats;
  }

  Options options() {
    return options;
  }

  /**
   * Where resumes older than the ring look (the history store); {@link MissedEvents#NONE} when
   * unset.
   */
  public void missedEvents(MissedEvents m) {
    this.missed = m == null ? MissedEvents.NONE : m;
  }

  /**
   * Cluster mode: the position the state starts from (restored), so that the first event's {@code
   * prev_seq} is right. Call on the owner's thread (in an owner command) before any event.
   */
  public void continueAfter(long seq) {
    lastSeq = seq;
  }

  /**
   * Cluster mode: the stream was recreated and the state's position is now {@code seq} of {@code
   * epoch}. The ring (the old epoch's frames) is emptied and every subscriber is resynchronised at
   * once, before any event of the new epoch: a client learns of the change even while the new
   * stream is still empty. Call on the owner's thread (in an owner command).
   */
  public void restartAt(String epoch, long seq) {
    ring.clear();
    ringEpoch = epoch;
    lastSeq = seq;
    Iterator<StreamConnection> it = subscribers.iterator();
    int n = 0;
    while (it.hasNext()) {
      StreamConnection c = it.next();
      it.remove();
      c.subscribed = false;
      if (!c.isClosed()) {
        c.requestResync();
        n++;
      }
    }
    log.info("stream position restarted at {}/{}: resynchronising {} connections", epoch, seq, n);
  }

  /** Cluster mode: seqs are stream sequences, with holes. */
  boolean streamPositions() {
    return streamPositions;
  }

  MissedEvents missedEvents() {
    return missed;
  }

  @Override
  public void onEvents(List<Event> batch) {
    if (batch.isEmpty()) {
      return;
    }
    List<Frame> frames = new ArrayList<>(batch.size());
    boolean discontinuity = false;
    for (Event e : batch) {
      // Stream positions (cluster mode) have holes, so only a seq that goes back is a move there;
      // our own positions are gap-free, so any seq but the next one is.
      long previous = streamPositions ? lastSeq : ring.lastSeq();
      boolean moved =
          !e.epoch().equals(ringEpoch)
              || (streamPositions
                  ? e.seq() <= lastSeq
                  : ring.size() > 0 && e.seq() != ring.lastSeq() + 1);
      if (moved) {
        if (ringEpoch != null) {
          discontinuity = true;
          log.info(
              "stream position moved to {}/{} (was {}/{}): resynchronising {} connections",
              e.epoch(),
              e.seq(),
              ringEpoch,
              previous,
              subscribers.size());
        }
        ring.clear();
        ringEpoch = e.epoch();
      }
      Frame f = encoder.frame(e, streamPositions ? Math.max(lastSeq, 0) : -1);
      if (streamPositions) {
        lastSeq = e.seq();
      }
      ring.append(f);
      frames.add(f);
    }
    stats.eventsPublished.add(frames.size());
    if (!waiting.isEmpty()) {
      releaseCaughtUp();
    }
    VisibleFrames.PerClass views = new VisibleFrames.PerClass(frames);
    Iterator<StreamConnection> it = subscribers.iterator();
    while (it.hasNext()) {
      StreamConnection c = it.next();
      if (c.isClosed()) {
        it.remove();
        c.subscribed = false;
        continue;
      }
      if (discontinuity) {
        it.remove();
        c.subscribed = false;
        c.requestResync();
        continue;
      }
      StreamFilter filter = c.filter();
      // One view per visibility class and batch, shared by its connections.
      List<Frame> visible = views.of(c.visibility());
      List<Frame> mine;
      if (filter.isAll()) {
        mine = visible;
        if (mine.isEmpty()) {
          continue;
        }
      } else {
        mine = null;
        for (Frame f : visible) {
          if (filter.matches(f.event())) {
            if (mine == null) {
              mine = new ArrayList<>();
            }
            mine.add(f);
          }
        }
        if (mine == null) {
          continue;
        }
      }
      if (!c.offer(mine)) {
        it.remove();
        c.subscribed = false;
      }
    }
  }

  /**
   * Subscribes {@code conn} at the current position, atomically with its catch-up: a snapshot
   * ({@code sinceSeq < 0}, or a position that cannot be served) or a replay of {@code (sinceSeq,
   * S]}. Any earlier subscription of {@code conn} and its queued frames are dropped first.
   * Completes on the owner's thread or the executor.
   */
  CompletableFuture<Sync> subscribe(
      StreamConnection conn, String epoch, long sinceSeq, String reason) {
    CompletableFuture<Sync> result = new CompletableFuture<>();
    requests.add(new Request(conn, epoch, sinceSeq, reason, result, false));
    scheduleRequests();
    return result;
  }

  private void scheduleRequests() {
    if (commandScheduled.compareAndSet(false, true)) {
      owner
          .call(
              access -> {
                processRequests(access);
                return null;
              })
          .exceptionally(
              err -> {
                log.error("stream subscription command failed", err);
                failAll(err);
                return null;
              });
    }
  }

  /** Owner thread: hands waiting resumes this replica has caught up with (or gave up on) back. */
  private void releaseCaughtUp() {
    long now = System.nanoTime();
    boolean any = false;
    Iterator<Map.Entry<Request, Long>> it = waiting.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Request, Long> w = it.next();
      Request q = w.getKey();
      boolean expired = now - w.getValue() > CATCH_UP.toNanos();
      if (q.sinceSeq() <= lastSeq || expired || q.conn().isClosed()) {
        if (expired && q.sinceSeq() > lastSeq) {
          gaveUp.add(q);
        }
        it.remove();
        requests.add(q);
        any = true;
      }
    }
    if (any) {
      scheduleRequests();
    }
  }

  /** Removes {@code conn} from the subscribers (an owner command; lazily done on close anyway). */
  void unsubscribe(StreamConnection conn) {
    owner.call(
        access -> {
          if (conn.subscribed) {
            subscribers.remove(conn);
            conn.subscribed = false;
          }
          return null;
        });
  }

  private void failAll(Throwable err) {
    commandScheduled.set(false);
    Request r;
    while ((r = requests.poll()) != null) {
      r.result().completeExceptionally(err);
    }
  }

  /** On the owner's thread. */
  private void processRequests(StateOwner.Access access) {
    commandScheduled.set(false);
    List<Request> batch = new ArrayList<>();
    Request r;
    while ((r = requests.poll()) != null) {
      batch.add(r);
    }
    if (batch.isEmpty()) {
      return;
    }
    long seq = access.state().seq();
    String epoch = access.state().epoch();
    StateCut cut = null;
    List<Request> needSnapshot = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    // The prepared snapshot (seq N <= seq) and the ring's events (N, seq] make the catch-up, so a
    // burst of connects encodes nothing: every one of them gets the same prepared bytes.
    PreparedSnapshot prepared = snapshots.latest();
    List<Frame> sincePrepared = null;
    if (prepared != null
        && prepared.epoch().equals(epoch)
        && prepared.seq() <= seq
        && (prepared.seq() == seq || snapshots.coalesces())
        && seq - prepared.seq() <= PREPARED_MAX_GAP) {
      sincePrepared =
          prepared.seq() == seq
              ? List.of()
              : epoch.equals(ringEpoch) ? ring.range(prepared.seq(), seq) : null;
    }
    List<Request> fromPrepared = new ArrayList<>();
    List<String> preparedReasons = new ArrayList<>();
    List<Request> deferred = new ArrayList<>();
    for (Request q : batch) {
      StreamConnection c = q.conn();
      if (streamPositions
          && q.sinceSeq() > seq
          && epoch.equals(q.epoch())
          && !c.isClosed()
          && !gaveUp.remove(q)) {
        // From a replica further along: wait for this one to get there.
        waiting.put(q, System.nanoTime());
        continue;
      }
      if (c.subscribed) {
        subscribers.remove(c);
        c.subscribed = false;
      }
      c.resetQueue();
      if (c.isClosed()) {
        q.result().cancel(false);
        continue;
      }
      Sync replay = q.sinceSeq() >= 0 ? replayPlan(q, epoch, seq) : null;
      if (replay == null && sincePrepared == null && snapshots.coalesces() && !q.waited()) {
        // Nothing usable is prepared (the first connects, or the first after a quiet spell, when
        // versions are not prepared ahead): wait for the one preparation every connect of the
        // burst shares, rather than each owner command's batch taking and encoding a cut of its
        // own (a cold burst of 100 plain connects took 4.8 s that way at 100x).
        deferred.add(q.waiting());
        continue;
      }
      subscribers.add(c);
      c.subscribed = true;
      if (replay != null) {
        q.result().complete(replay);
      } else if (sincePrepared != null) {
        fromPrepared.add(q);
        preparedReasons.add(q.sinceSeq() >= 0 && q.reason() == null ? "resync" : q.reason());
      } else {
        if (cut == null) {
          cut = access.cut();
        }
        needSnapshot.add(q);
        reasons.add(q.sinceSeq() >= 0 && q.reason() == null ? "resync" : q.reason());
      }
    }
    if (!deferred.isEmpty()) {
      snapshots
          .fresh()
          .whenComplete(
              (p, err) -> {
                requests.addAll(deferred);
                scheduleRequests();
              });
    }
    if (!needSnapshot.isEmpty()) {
      StateCut theCut = cut;
      executor.execute(() -> buildSnapshots(theCut, needSnapshot, reasons));
    }
    if (!fromPrepared.isEmpty()) {
      List<Frame> gap = sincePrepared;
      long at = seq;
      executor.execute(() -> sendPrepared(prepared, at, epoch, gap, fromPrepared, preparedReasons));
    }
  }

  /**
   * Completes snapshot subscriptions from the prepared snapshot at N: its frame (from the prepared
   * bytes; filtered ones once per filter), then {@code gap}, the events (N, seq], as a replay.
   */
  private void sendPrepared(
      PreparedSnapshot prepared,
      long seq,
      String epoch,
      List<Frame> gap,
      List<Request> requests,
      List<String> reasons) {
    for (int i = 0; i < requests.size(); i++) {
      Request q = requests.get(i);
      String reason = reasons.get(i);
      try {
        StreamFilter filter = q.conn().filter();
        Visibility visibility = q.conn().visibility();
        Buffer frame = snapshotFrames.prepared(prepared, filter, visibility, reason);
        Buffer deflated =
            q.conn().deflates()
                ? snapshotFrames.prepared(prepared, filter, visibility, reason + "/deflate")
                : null;
        q.result()
            .complete(new Sync(seq, epoch, frame, reason, prepared.seq(), 0, 0, gap, deflated));
      } catch (RuntimeException e) {
        log.error("prepared snapshot frame failed", e);
        q.result().completeExceptionally(e);
      }
    }
  }

  /**
   * How to serve a resume from {@code sinceSeq} at position {@code seq}, or null for a snapshot.
   */
  private Sync replayPlan(Request q, String epoch, long seq) {
    long since = q.sinceSeq();
    if (!epoch.equals(q.epoch()) || since > seq || seq - since > options.maxReplay()) {
      return null;
    }
    if (since == seq) {
      return new Sync(seq, epoch, null, null, since, 0, 0, List.of(), null);
    }
    List<Frame> fromRing = epoch.equals(ringEpoch) ? ring.range(since, seq) : null;
    if (fromRing != null) {
      return new Sync(seq, epoch, null, null, since, 0, 0, fromRing, null);
    }

    if (missed == MissedEvents.NONE) {
      return null;
    }
    // History for (since, ringFirst - 1], the ring for the rest; all of it from history when the
    // ring holds nothing of this range.
    long ringFirst = epoch.equals(ringEpoch) ? ring.firstSeq() : -1;
    if (ringFirst > since + 1 && ring.lastSeq() == seq) {
      return new Sync(
          seq,
          epoch,
          null,
          null,
          since,
          since,
          ringFirst - 1,
          ring.range(ringFirst - 1, seq),
          null);
    }
    return new Sync(seq, epoch, null, null, since, since, seq, List.of(), null);
  }

  private void buildSnapshots(StateCut cut, List<Request> requests, List<String> reasons) {
    Snapshot snap;
    try {
      snap = snapshots.build(cut);
    } catch (RuntimeException e) {
      log.error("snapshot for stream subscribers failed", e);
      requests.forEach(q -> q.result().completeExceptionally(e));
      return;
    }
    for (int i = 0; i < requests.size(); i++) {
      Request q = requests.get(i);
      String reason = reasons.get(i);
      try {
        Buffer frame =
            snapshotFrames.ofCut(snap, cut, q.conn().filter(), q.conn().visibility(), reason);
        q.result()
            .complete(new Sync(cut.seq(), cut.epoch(), frame, reason, -1, 0, 0, List.of(), null));
      } catch (RuntimeException e) {
        log.error("filtered snapshot failed", e);
        q.result().completeExceptionally(e);
      }
    }
  }

  /** Cluster mode: resumes waiting for this replica to catch up (tests). */
  CompletableFuture<Integer> waitingResumes() {
    return owner.read(a -> waiting.size());
  }

  /** Frames in the ring (for tests and metrics); read from any thread, approximate. */
  public int ringSize() {
    return ring.size();
  }
}
