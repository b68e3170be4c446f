package org.daarion.livingmap.history;

import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.daarion.livingmap.state.StateCodec;
import org.daarion.livingmap.state.StateCut;
import org.daarion.livingmap.state.StateOwner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the live state starts from: the newest stored snapshot that can still be restored, plus what
 * came after it. Runs once at start-up, before any source feeds the owner, and blocks until the
 * owner has applied it. Each policy returns the status {@code /health} shows under {@code
 * state.restore}: where the state came from, and why a stored snapshot was refused.
 *
 * <p>{@code storedRead} receives the stored snapshot's JSON as the policy reads it, for what is
 * kept beside the entities (alert silences).
 */
public final class StartupRestore {
  private static final Logger log = LoggerFactory.getLogger(StartupRestore.class);

  private StartupRestore() {}

  /**
   * One instance: the newest stored snapshot plus the history after it, then numbering continues
   * after {@code seq} (the newest event in history) in {@code epoch}. A snapshot the reducers
   * refuse today is skipped and the history of the newest epoch is replayed alone.
   */
  public static JsonObject fromHistory(
      TimeTravel timeTravel,
      StateOwner owner,
      String epoch,
      long seq,
      Consumer<JsonObject> storedRead) {
    JsonObject status = new JsonObject().put("from", "empty");
    Optional<TimeTravel.Restore> restore = timeTravel.restoreOnStart().join();
    StateCut checked = null;
    if (restore.isPresent() && restore.get().snapshot() != null) {
      StoredSnapshot stored = restore.get().snapshot();
      try {
        checked = StateCodec.loadChecked(stored.snapshot().getValue("state"));
        status = new JsonObject().put("from", "snapshot").put("snapshot_seq", stored.seq());
      } catch (IllegalArgumentException bad) {
        // The state is rebuilt from what history holds, through the reducers as they check now;
        // the next stored snapshot is cut from that state.
        Optional<TimeTravel.Restore> fromHistory = timeTravel.historyOnly().join();
        log.warn(
            "stored snapshot at seq {} cannot be restored ({}); {}",
            stored.seq(),
            bad.getMessage(),
            fromHistory.isPresent()
                ? "replaying history instead"
                : "history is too long to replay: the state starts empty");
        status =
            new JsonObject()
                .put("from", fromHistory.isPresent() ? "history" : "empty")
                .put("snapshot_rejected", bad.getMessage())
                .put("snapshot_seq", stored.seq());
        restore = fromHistory;
      }
    } else if (restore.isPresent()) {
      status = new JsonObject().put("from", "history");
    }
    if (restore.isPresent() && restore.get().snapshot() != null) {
      storedRead.accept(restore.get().snapshot().snapshot());
    }
    StateCut base = checked;
    Optional<TimeTravel.Restore> chosen = restore;
    owner
        .call(
            a -> {
              chosen.ifPresent(
                  r -> {
                    if (base == null) {
                      // No usable stored snapshot: the history of the newest epoch alone.
                      r.events().forEach(a::replay);
                      log.info("state restored from {} events of history", r.events().size());
                      return;
                    }
                    a.restore(base);
                    r.events().forEach(a::replay);
                    log.info(
                        "state restored from snapshot at seq {} plus {} events",
                        r.snapshot().seq(),
                        r.events().size());
                  });
              a.continueAt(epoch, seq);
              return null;
            })
        .join();
    return status;
  }

  /**
   * A replica of a cluster: the newest stored snapshot of this stream's {@code epoch} (any
   * replica's: at the same seq they are the same); the stream itself is then read from the sequence
   * after it. History is not replayed: the stream holds every event, history may still lack some
   * that another replica has not written. {@code restoredTo} runs on the owner's thread with the
   * restored seq (the stream hub continues after it).
   */
  public static JsonObject fromStream(
      SnapshotStore snapshots,
      StateOwner owner,
      String epoch,
      LongConsumer restoredTo,
      Consumer<JsonObject> storedRead) {
    JsonObject status = new JsonObject().put("from", "empty");
    Optional<StoredSnapshot> stored = snapshots.latest().join();
    Optional<StateCut> base = Optional.empty();
    if (stored.isPresent() && epoch.equals(stored.get().epoch())) {
      try {
        base = Optional.of(StateCodec.loadChecked(stored.get().snapshot().getValue("state")));
        status = new JsonObject().put("from", "snapshot").put("snapshot_seq", stored.get().seq());
      } catch (IllegalArgumentException bad) {
        // The stream holds every event: reading it from its start rebuilds the state.
        log.warn(
            "stored snapshot at seq {} cannot be restored ({}); reading the stream from its start",
            stored.get().seq(),
            bad.getMessage());
        status =
            new JsonObject()
                .put("from", "stream")
                .put("snapshot_rejected", bad.getMessage())
                .put("snapshot_seq", stored.get().seq());
      }
    }
    stored.ifPresent(st -> storedRead.accept(st.snapshot()));
    Optional<StateCut> chosen = base;
    owner
        .call(
            a -> {
              chosen.ifPresentOrElse(
                  st -> {
                    a.restore(st);
                    log.info("state restored from a stored snapshot at seq {}", a.state().seq());
                  },
                  () -> log.info("no stored snapshot of epoch {}: reading the stream", epoch));
              a.continueAt(epoch, a.state().seq());
              restoredTo.accept(a.state().seq());
              return null;
            })
        .join();
    return status;
  }
}
