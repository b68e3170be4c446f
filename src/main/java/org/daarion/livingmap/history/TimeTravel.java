package org.daarion.livingmap.history;

import io.vertx.core.json.JsonObject;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.event.Event;

/**
 * The state at a past instant: the nearest stored snapshot at or before it, plus the history events
 * after that snapshot's seq (same epoch) with a timestamp at or before the instant, applied in seq
 * order by a {@link StateReplayer}. One past state is rebuilt at a time, on a thread of its own,
 * with the events read from history as they are applied; at most {@link #QUEUED_REBUILDS} wait.
 */
public final class TimeTravel {
  /** More events than this between a snapshot and the instant is refused rather than replayed. */
  public static final int MAX_REPLAY_EVENTS = 1_000_000;

  /**
   * With no usable stored snapshot, the start-up restore replays the newest epoch only when it has
   * at most this many events (seq is gap-free from 1), so that a large history taken over without
   * snapshots cannot fill the heap at start.
   */
  public static final int MAX_REPLAY_WITHOUT_SNAPSHOT = 200_000;

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TimeTravel.class);

  /**
   * The answer to {@link #stateAt}. When {@code found} is false, {@code reason} says why (no stored
   * snapshot that early, or too much to replay) and the API answers 404 with it.
   */
  public record Result(
      boolean found,
      JsonObject state,
      Instant at,
      StoredSnapshot base,
      int eventsReplayed,
      String reason) {
    static Result notFound(Instant at, String reason) {
      return new Result(false, null, at, null, 0, reason);
    }
  }

  /**
   * What the state loads at start: the newest usable stored snapshot (null when none: start from an
   * empty state) and every event after it.
   */
  public record Restore(StoredSnapshot snapshot, List<Event> events) {}

  /**
   * Rebuilds waiting beyond the one that runs; more are refused ({@link Busy}). A rebuild holds a
   * whole second state (at 100x DAARION's size about as much heap as the live one), so they run one
   * at a time, whatever number of clients ask: six parallel diffs once took a 614 MiB heap.
   */
  static final int QUEUED_REBUILDS = 8;

  /** Refused: {@link #QUEUED_REBUILDS} rebuilds are already waiting. The API answers 503. */
  public static final class Busy extends RuntimeException {
    /** Seconds after which a refused client may ask again (about one rebuild at 100x). */
    public static final int RETRY_AFTER_SECONDS = 5;

    Busy() {
      super(
          "time travel is busy: "
              + QUEUED_REBUILDS
              + " rebuilds of past states are waiting; retry in a few seconds");
    }
  }

  private final SnapshotStore snapshots;
  private final HistoryStore history;
  private final StateReplayer replayer;
  private final Executor executor;
  private final ThreadPoolExecutor rebuilds;

  public TimeTravel(
      Database database, SnapshotStore snapshots, HistoryStore history, StateReplayer replayer) {
    this(snapshots, history, replayer, database.executor());
  }

  TimeTravel(
      SnapshotStore snapshots, HistoryStore history, StateReplayer replayer, Executor executor) {
    this.snapshots = snapshots;
    this.history = history;
    this.replayer = replayer;
    this.executor = executor;
    this.rebuilds =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUED_REBUILDS),
            Database.daemonThreads("living-map-time-travel-"));
    // idle, the thread goes: no thread is held for a feature nobody uses
    rebuilds.allowCoreThreadTimeOut(true);
  }

  /** Runs {@code work} as the one rebuild at a time; fails with {@link Busy} when too many wait. */
  private <T> CompletableFuture<T> rebuild(HistoryStore.Blocking<T> work) {
    try {
      return HistoryStore.async(rebuilds, work);
    } catch (RejectedExecutionException full) {
      return CompletableFuture.failedFuture(new Busy());
    }
  }

  /**
   * Replays the events of {@code s}'s epoch after its seq (up to {@code upToSeq}, at or before
   * {@code until}) onto it, reading them from history as they are applied.
   */
  private Result replay(StoredSnapshot s, Long upToSeq, Instant until, Instant at)
      throws SQLException {
    int[] n = {0};
    try {
      JsonObject state =
          history.withEventsAfterBlocking(
              s.epoch(),
              s.seq(),
              upToSeq,
              until,
              MAX_REPLAY_EVENTS + 1,
              events -> replayer.replay(s.snapshot(), () -> new Counted(events.iterator(), n), at));
      return new Result(true, state, at, s.withoutBody(), n[0], null);
    } catch (TooMany e) {
      return Result.notFound(
          at,
          "more than "
              + MAX_REPLAY_EVENTS
              + " events between the nearest stored snapshot ("
              + s.generatedAt()
              + ") and "
              + (upToSeq != null ? "seq " + upToSeq : String.valueOf(until)));
    }
  }

  private static final class TooMany extends RuntimeException {
    TooMany() {
      super(null, null, false, false);
    }
  }

  /** Counts the events a replay takes, and stops it past {@link #MAX_REPLAY_EVENTS}. */
  private record Counted(Iterator<Event> events, int[] n) implements Iterator<Event> {
    @Override
    public boolean hasNext() {
      return events.hasNext();
    }

    @Override
    public Event next() {
      if (++n[0] > MAX_REPLAY_EVENTS) {
        throw new TooMany();
      }
      return events.next();
    }
  }

  /**
   * The state at {@code at}, or, when {@code at} is older than every stored snapshot, the state of
   * the oldest one (its {@link Result#at} then says the instant actually used): a range such as
   * "the last hour" on a service that has run for ten minutes starts where its memory does.
   */
  public CompletableFuture<Result> stateAtOrEarliest(Instant at) {
    return stateAt(at)
        .thenCompose(
            r ->
                r.found()
                    ? CompletableFuture.completedFuture(r)
                    : HistoryStore.async(
                            executor, () -> snapshots.earliest().map(StoredSnapshot::generatedAt))
                        .thenCompose(
                            first ->
                                first.isPresent() && first.get().isAfter(at)
                                    ? stateAt(first.get())
                                    : CompletableFuture.completedFuture(r)));
  }

  /** The state at {@code at} (see the class Javadoc). */
  public CompletableFuture<Result> stateAt(Instant at) {
    return rebuild(
        () -> {
          Optional<StoredSnapshot> base = snapshots.atOrBefore(at);
          if (base.isEmpty()) {
            return Result.notFound(at, "no stored snapshot at or before " + at);
          }
          StoredSnapshot s = base.get();
          if (s.seq() == null || s.epoch() == null) {
            // A snapshot without a position (written by the original service): as it is.
            return new Result(
                true, replayer.replay(s.snapshot(), List.of(), at), at, s.withoutBody(), 0, null);
          }
          return replay(s, null, at, at);
        });
  }

  /**
   * The newest epoch's history alone, for a start whose stored snapshot cannot be used: {@code
   * snapshot} is null; empty when history is empty or holds more than {@link
   * #MAX_REPLAY_WITHOUT_SNAPSHOT} events in that epoch (the state starts empty then).
   */
  public CompletableFuture<Optional<Restore>> historyOnly() {
    return HistoryStore.async(
        executor,
        () -> {
          Optional<HistoryStore.Position> last = history.lastPositionBlocking();
          if (last.isEmpty() || last.get().seq() > MAX_REPLAY_WITHOUT_SNAPSHOT) {
            return Optional.empty();
          }
          return Optional.of(
              new Restore(
                  null,
                  history.eventsAfterBlocking(last.get().epoch(), 0, null, MAX_REPLAY_EVENTS)));
        });
  }

  /**
   * The state right after the event at {@code seq} of {@code epoch}: the newest stored snapshot of
   * that epoch not ahead of it, plus the history events after it up to {@code seq}.
   */
  public CompletableFuture<Result> stateAtSeq(String epoch, long seq) {
    return rebuild(
        () -> {
          Optional<StoredSnapshot> base = snapshots.newestNotAhead(epoch, seq);
          if (base.isEmpty() || base.get().seq() == null) {
            return Result.notFound(null, "no stored snapshot at or before seq " + seq);
          }
          StoredSnapshot s = base.get();
          if (seq - s.seq() > MAX_REPLAY_EVENTS) {
            return Result.notFound(
                null,
                "more than "
                    + MAX_REPLAY_EVENTS
                    + " events between the nearest stored snapshot and"
                    + " seq "
                    + seq);
          }
          Instant at =
              history.lastTimestampBlocking(s.epoch(), s.seq(), seq).orElse(s.generatedAt());
          return replay(s, seq, null, at);
        });
  }

  /**
   * The newest stored snapshot that history has caught up with, and the events after it (its epoch,
   * seq order), for the live state to load at start before the upstream polls finish.
   *
   * <p>A snapshot is cut from the live state, which runs ahead of the history writer; a process
   * killed right after storing one leaves a snapshot whose newest events never reached history
   * (their source redelivers them, since they were never acknowledged). Such a snapshot is skipped
   * in favour of an older one, so the restored state is exactly what history holds and every
   * redelivered event is applied once. With no usable snapshot, the history of the newest epoch is
   * replayed from its start ({@code snapshot} is null then) when it holds at most {@link
   * #MAX_REPLAY_WITHOUT_SNAPSHOT} events. Empty when there is nothing to load.
   */
  public CompletableFuture<Optional<Restore>> restoreOnStart() {
    return HistoryStore.async(
        executor,
        () -> {
          Optional<HistoryStore.Position> last = history.lastPositionBlocking();
          Optional<StoredSnapshot> latest =
              last.isPresent()
                  ? snapshots.newestNotAhead(last.get().epoch(), last.get().seq())
                  : snapshots.atOrBefore(null);
          if (latest.isEmpty()) {
            if (last.isEmpty()) {
              return Optional.empty();
            }
            if (last.get().seq() > MAX_REPLAY_WITHOUT_SNAPSHOT) {
              log.warn(
                  "no usable stored snapshot and {} events in history: the state starts empty"
                      + " (replaying more than {} at start is refused)",
                  last.get().seq(),
                  MAX_REPLAY_WITHOUT_SNAPSHOT);
              return Optional.empty();
            }
            return Optional.of(
                new Restore(
                    null,
                    history.eventsAfterBlocking(last.get().epoch(), 0, null, MAX_REPLAY_EVENTS)));
          }
          StoredSnapshot s = latest.get();
          List<Event> events =
              s.seq() == null || s.epoch() == null
                  ? List.of()
                  : history.eventsAfterBlocking(s.epoch(), s.seq(), null, MAX_REPLAY_EVENTS);
          return Optional.of(new Restore(s, events));
        });
  }
}
