package org.daarion.livingmap.state;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.daarion.livingmap.event.AsyncFailures;
import org.daarion.livingmap.event.ByteBudget;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventSink;
import org.daarion.livingmap.event.PollIntake;
import org.daarion.livingmap.event.RejectedSink;
import org.daarion.livingmap.event.Rejection;
import org.daarion.livingmap.event.UpstreamPoll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of the live state and the sequencer (DESIGN: "one writer"). A single thread takes
 * events and commands from a bounded queue, gives each event the next {@code seq} in the epoch,
 * applies it with its reducer, and hands the sequenced events, in order, to the sinks (history,
 * stream). Commands (poll merges, snapshot cuts, stream subscriptions) run between events on the
 * same thread, after every earlier event has reached the sinks, so a command sees a state whose
 * {@code seq} no sink is behind or ahead of.
 *
 * <p>Backpressure: {@link #submit} blocks while the queue is full; the queue is bounded by the
 * constructor's capacity and, for events, by a {@link ByteBudget} (each event weighs {@link
 * ByteBudget#weightOf}): {@link #submit} waits for room ({@link ByteBudget.Overflow#BLOCK}). A
 * source that cannot wait (NATS core) has a queue of its own in front that rejects instead.
 */
public final class StateOwner implements EventIntake.Sequencer, PollIntake, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StateOwner.class);
  private static final int DRAIN_MAX = 4096;

  /** Work that runs on the owner's thread with full access to the state. */
  @FunctionalInterface
  public interface Command<T> {
    T run(Access access);
  }

  /**
   * Cluster mode: where the events this service makes itself (reconciliation, alerts) go instead of
   * being sequenced here. The implementation publishes them to the shared stream (when this replica
   * holds the lease), and every replica applies them when they come back with their stream
   * position. Called on the owner's thread; must not block for long.
   */
  @FunctionalInterface
  public interface DerivedPublisher {
    /** Returns whether the event was sent (false: not the lease holder, dropped). */
    boolean publish(Event event);
  }

  /**
   * What a command may do on the owner's thread: read the state (consistently: nothing writes while
   * the command runs), take a cut, and change the state only through the named operations below
   * (merge a poll, restore, continue numbering, emit or replay an event). The {@link LiveState}
   * itself is never handed out.
   */
  public final class Access {
    private Access() {}

    /** The state, read-only; see {@link StateView} for what a read sees. */
    public StateView state() {
      return state;
    }

    /** A consistent copy of the state at the current seq. */
    public StateCut cut() {
      return state.cut(clock.instant());
    }

    public void applyPoll(UpstreamPoll poll) {
      if (publisher != null) {
        // Cluster mode: find the changes on a copy; they reach the state through the stream.
        // The copy includes the changes already published and not back yet, so that a poll
        // running before they return does not publish them again.
        reconciler.apply(poll, inFlight.over(state), StateOwner.this::emitDerived, clock.instant());
        return;
      }
      reconciler.apply(poll, state, StateOwner.this::emitDerived, clock.instant());
    }

    /** Replaces the whole state with a restored one, keeping its epoch and seq. */
    public void restore(StateCut cut) {
      state.clear();
      for (Entity e : cut.entities()) {
        state.put(e);
      }
      state.restoreAliases(cut.aliases());
      state.position(cut.epoch(), cut.seq());
      state.streamSeq(cut.streamSeq());
      redelivery.restoredTo(cut.streamSeq());
    }

    /** Continues numbering after {@code seq} in {@code epoch} (the newest position in history). */
    public void continueAt(String epoch, long seq) {
      state.position(epoch, seq);
      if (publisher != null) {
        // Cluster mode: the seq is the stream sequence (0 in a recreated stream's new epoch).
        state.versionTo(seq);
        state.streamSeq(seq);
      }
    }

    /**
     * Emits a derived event (source {@code living-map-service}) at the next seq and applies it
     * through its reducer exactly as a replay from history would, so live and rebuilt states agree.
     * The sinks receive it, in seq order, when the command ends. Used by alerts ({@code
     * living_map.alert.*}, see {@link AlertMarks}).
     *
     * <p>Cluster mode: the event is published instead (see {@link DerivedPublisher}) and applied
     * when it comes back through the stream.
     *
     * @return the seq it was given, or -1 in cluster mode (not known yet)
     */
    public long emit(String subject, String entityId, String entityType, JsonObject payload) {
      long seq = emitDerived(subject, entityId, entityType, payload);
      if (publisher != null) {
        return seq;
      }
      String refused =
          Reducers.applyChecked(out.get(out.size() - 1), state.resolve(entityId), seq, state);
      if (refused != null) {
        reducerErrors.incrementAndGet();
        log.error("derived {} (seq {}) left the state unchanged: {}", subject, seq, refused);
      }
      return seq;
    }

    /** Applies an event that already has its position (history replay at start). */
    public void replay(Event e) {
      String id = state.resolve(e.entityId());
      String refused = Reducers.applyChecked(e, id, e.seq(), state);
      if (refused != null) {
        // Stored before the reducers checked what they store: it keeps its place in history
        // and changes nothing, as it would be rejected now.
        noteRejected(e, refused);
      }
      state.position(e.epoch(), e.seq());
      redelivery.replayed(e, state);
    }
  }

  private record Task<T>(Command<T> command, CompletableFuture<T> result) {}

  private final LiveState state;
  private final List<EventSink> sinks = new CopyOnWriteArrayList<>();
  private final AsyncFailures failures = new AsyncFailures(log);
  private final BlockingQueue<Object> queue;
  private final Clock clock;
  private final Reconciler reconciler = new Reconciler();
  private final Access access = new Access();
  private final List<Event> out = new ArrayList<>();
  private final List<Event> duplicates = new ArrayList<>();
  private final AtomicLong duplicateCount = new AtomicLong();

  /** Tells a JetStream redelivery from a late first delivery. Owner thread only. */
  private final StreamRedelivery redelivery = new StreamRedelivery();

  /** Cluster mode: derived events published and not back yet. Owner thread only. */
  private final InFlightDerived inFlight = new InFlightDerived();

  /** Commands the owner's own thread called; run after the current batch. Owner thread only. */
  private final ArrayDeque<Task<?>> local = new ArrayDeque<>();

  /** Cluster mode: seq is the JetStream stream sequence; derived events are published. */
  private DerivedPublisher publisher;

  /** Cluster mode: sees each event as it is applied (see {@link #observeEachEvent}). */
  private java.util.function.Consumer<Event> observer;

  private final AtomicLong unpositioned = new AtomicLong();

  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong reducerErrors = new AtomicLong();
  private final AtomicLong reducerRejected = new AtomicLong();

  /** Where events a reducer refused go (the rejected-events table); none: counted only. */
  private RejectedSink rejectedSink;

  private final Thread thread;
  private volatile boolean running;

  /** Events in the queue, in bytes ({@code LIVING_MAP_STATE_QUEUE_BYTES}). */
  private final ByteBudget queueBytes;

  public StateOwner(LiveState state, int queueCapacity, Clock clock) {
    this(
        state,
        queueCapacity,
        new ByteBudget("state", DEFAULT_QUEUE_BYTES, ByteBudget.Overflow.BLOCK),
        clock);
  }

  /** 16 MiB: the default of {@code LIVING_MAP_STATE_QUEUE_BYTES}. */
  public static final long DEFAULT_QUEUE_BYTES = 16L * 1024 * 1024;

  public StateOwner(LiveState state, int queueCapacity, ByteBudget queueBytes, Clock clock) {
    this.queueBytes = queueBytes;
    this.state = state;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.clock = clock;
    this.thread = new Thread(this::loop, "state-owner");
    this.thread.setDaemon(true);
  }

  /** Adds a sink; call before {@link #start}. */
  public void addSink(EventSink sink) {
    sinks.add(sink);
  }

  /**
   * Cluster mode (call before {@link #start}): every event's {@code seq} is its JetStream stream
   * sequence (so seqs have holes where the stream holds messages not applied here), an event at or
   * below the current seq is a duplicate and is dropped, events without a stream sequence are
   * refused, and derived events go to {@code publisher} instead of being sequenced here.
   */
  public void positionsFromStream(DerivedPublisher publisher) {
    if (thread.isAlive()) {
      throw new IllegalStateException("set cluster mode before start()");
    }
    this.publisher = java.util.Objects.requireNonNull(publisher);
    reconciler.replicateMeta();
  }

  /**
   * Cluster mode (call before {@link #start}): {@code observer} sees each event on the owner's
   * thread right after its reducer, with the state as of that event. Sinks see whole batches, whose
   * boundaries differ from replica to replica; what must be decided identically on every replica
   * (alerts) is decided here, per stream position. It must not block.
   */
  public void observeEachEvent(java.util.function.Consumer<Event> observer) {
    if (thread.isAlive()) {
      throw new IllegalStateException("set the observer before start()");
    }
    this.observer = java.util.Objects.requireNonNull(observer);
  }

  /**
   * Sends events whose reducer refused them ({@link Reducers#applyChecked}) to {@code sink} instead
   * of sequencing them; call before {@link #start}. Without one (cluster mode, where history is
   * written from the stream, not from here), such an event keeps its position and changes nothing.
   */
  public void rejectInto(RejectedSink sink) {
    if (thread.isAlive()) {
      throw new IllegalStateException("set the rejected sink before start()");
    }
    this.rejectedSink = java.util.Objects.requireNonNull(sink);
  }

  /** Events a reducer refused (wrong type, a number that is not finite): none of them applied. */
  public long reducerRejectedCount() {
    return reducerRejected.get();
  }

  /** Upstream records skipped because the entity would exceed its byte bound. */
  public long upstreamOversizedCount() {
    return reconciler.oversizedCount();
  }

  /** Cluster mode: events refused because they had no stream sequence. */
  public long unpositionedCount() {
    return unpositioned.get();
  }

  public void start() {
    running = true;
    thread.start();
  }

  /**
   * The live state, read-only, for readers on any thread: single entities and counters, read while
   * the owner writes ({@link StateView} says what that gives); a consistent picture is {@link
   * #cut()}.
   */
  public StateView state() {
    return state;
  }

  @Override
  public void submit(Event event) throws InterruptedException {
    long w = ByteBudget.weightOf(event);
    queueBytes.acquire(w);
    try {
      queue.put(event);
    } catch (InterruptedException e) {
      queueBytes.release(w);
      throw e;
    }
  }

  /** The byte budget of the queue (metrics, health). */
  public ByteBudget queueBytes() {
    return queueBytes;
  }

  /**
   * Runs {@code command} on the owner's thread; completes with its result or failure. Never blocks,
   * so it may be called from an event loop: when the queue is full the future fails at once with
   * {@link java.util.concurrent.RejectedExecutionException} and the caller decides (serve a cached
   * snapshot, answer 503, take the next poll). From the owner's own thread (a sink, another
   * command) the command runs right after the current batch has reached the sinks, before anything
   * still queued.
   */
  public <T> CompletableFuture<T> call(Command<T> command) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (Thread.currentThread() == thread) {
      local.add(new Task<>(command, result));
      return result;
    }
    if (!queue.offer(new Task<>(command, result))) {
      result.completeExceptionally(
          new java.util.concurrent.RejectedExecutionException("the state owner's queue is full"));
    }
    return result;
  }

  /** Like {@link #call} with a plain function of the access. */
  public <T> CompletableFuture<T> read(Function<Access, T> f) {
    return call(f::apply);
  }

  public CompletableFuture<StateCut> cut() {
    return call(Access::cut);
  }

  /** Merges {@code poll} on the owner's thread (the contract is {@link PollIntake}'s). */
  @Override
  public CompletableFuture<Void> applyPoll(UpstreamPoll poll) {
    return call(
        a -> {
          a.applyPoll(poll);
          return null;
        });
  }

  public long appliedCount() {
    return applied.get();
  }

  /** Redelivered events recognised and not applied again. */
  public long duplicateCount() {
    return duplicateCount.get();
  }

  public long reducerErrors() {
    return reducerErrors.get();
  }

  /** Failures of the owner's loop, its observers and its sinks, counted by place. */
  public AsyncFailures failures() {
    return failures;
  }

  public int queueDepth() {
    return queue.size();
  }

  private void loop() {
    List<Object> batch = new ArrayList<>(DRAIN_MAX);
    while (running || !queue.isEmpty()) {
      try {
        Object first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          runLocal();
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, DRAIN_MAX - 1);
        for (Object item : batch) {
          if (item instanceof Event e) {
            queueBytes.release(ByteBudget.weightOf(e));
            applyEvent(e);
          } else if (item instanceof Task<?> t) {
            runTask(t);
          }
        }
        batch.clear();
        flush();
        runLocal();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        failures.record("state_owner_loop", "continuing with the next batch", e);
        batch.clear();
      }
    }
  }

  private void applyEvent(Event e) {
    if (publisher != null) {
      applyAtStreamPosition(e);
      return;
    }
    if (redelivery.isRepeat(e, state)) {
      duplicates.add(e);
      duplicateCount.incrementAndGet();
      return;
    }
    long seq = state.seq() + 1;
    String refused = Reducers.applyChecked(e, state.resolve(e.entityId()), seq, state);
    if (refused != null && rejectedSink != null) {
      // Not sequenced: the state holds no trace of it, and the rejected table keeps it with
      // the reason (its acknowledgement follows from there).
      noteRejected(e, refused);
      rejectedSink.reject(rejection(e, refused));
      return;
    }
    if (refused != null) {
      noteRejected(e, refused);
    }
    state.nextSeq();
    out.add(e.sequenced(seq, state.epoch(), state.resolve(e.entityId())));
    applied.incrementAndGet();
  }

  private void reduce(Event e, long seq) {
    String refused = Reducers.applyChecked(e, state.resolve(e.entityId()), seq, state);
    if (refused != null) {
      noteRejected(e, refused);
    }
  }

  private void noteRejected(Event e, String reason) {
    long n = reducerRejected.incrementAndGet();
    if (n <= 10 || Long.bitCount(n) == 1) {
      log.warn("{} event refused by its reducer: {} [{} so far]", e.eventType(), reason, n);
    }
  }

  private static Rejection rejection(Event e, String reason) {
    byte[] raw = e.payloadBytes();
    if (raw == null) {
      raw = new byte[0];
    }
    int size = raw.length;
    if (raw.length > Rejection.MAX_RAW_BYTES) {
      raw = java.util.Arrays.copyOf(raw, Rejection.MAX_RAW_BYTES);
    }
    return new Rejection(e.timestamp(), e.eventType(), reason, raw, size, e.msgId(), e.acker());
  }

  /** Cluster mode: the event's position is its stream sequence; at most once per position. */
  private void applyAtStreamPosition(Event e) {
    long seq = e.streamSequence();
    if (seq <= 0) {
      long n = unpositioned.incrementAndGet();
      if (n <= 10 || Long.bitCount(n) == 1) {
        log.warn(
            "cluster mode: {} event without a JetStream position refused [{} so far]; publish it"
                + " to the shared stream instead",
            e.eventType(),
            n);
      }
      return;
    }
    if (seq <= state.seq()) {
      duplicateCount.incrementAndGet();
      return;
    }
    inFlight.returned(e);
    state.seqTo(seq);
    state.streamSeq(seq);
    reduce(e, seq);
    state.versionTo(seq);
    Event sequenced = e.sequenced(seq, state.epoch(), state.resolve(e.entityId()));
    out.add(sequenced);
    applied.incrementAndGet();
    if (observer != null) {
      try {
        observer.accept(sequenced);
      } catch (RuntimeException ex) {
        failures.record("event_observer", e.eventType() + " at seq " + seq, ex);
      }
    }
  }

  /** Derived events on their way to the stream (cluster mode; tests and health). */
  public int inFlightCount() {
    return inFlight.size();
  }

  private long emitDerived(String subject, String entityId, String entityType, JsonObject payload) {
    Event e =
        new Event(
            0,
            null,
            clock.instant(),
            subject,
            entityId,
            entityType,
            "living-map-service",
            payload,
            null,
            null);
    if (publisher != null) {
      if (publisher.publish(e)) {
        inFlight.sent(e);
      }
      return -1;
    }
    long seq = state.nextSeq();
    out.add(e.sequenced(seq, state.epoch(), entityId));
    return seq;
  }

  private void runLocal() {
    Task<?> t;
    while ((t = local.poll()) != null) {
      runTask(t);
    }
  }

  private <T> void runTask(Task<T> t) {
    flush();
    try {
      T value = t.command().run(access);
      flush();
      t.result().complete(value);
    } catch (RuntimeException ex) {
      flush();
      t.result().completeExceptionally(ex);
    }
  }

  private void flush() {
    if (!duplicates.isEmpty()) {
      List<Event> dups = List.copyOf(duplicates);
      duplicates.clear();
      for (EventSink sink : sinks) {
        try {
          sink.onDuplicates(dups);
        } catch (RuntimeException ex) {
          failures.record("sink_" + sink.getClass().getSimpleName(), "on duplicates", ex);
        }
      }
    }
    if (out.isEmpty()) {
      return;
    }
    List<Event> events = List.copyOf(out);
    out.clear();
    for (EventSink sink : sinks) {
      try {
        sink.onEvents(events);
      } catch (RuntimeException ex) {
        failures.record("sink_" + sink.getClass().getSimpleName(), "on a batch", ex);
      }
    }
  }

  /** Stops after applying what is queued and handing it to the sinks. */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
