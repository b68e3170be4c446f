package org.daarion.livingmap.app;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.daarion.livingmap.alert.AlertService;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.HistoryWriter;
import org.daarion.livingmap.history.SnapshotScheduler;
import org.daarion.livingmap.history.StartupRestore;
import org.daarion.livingmap.history.StoredMsgIds;
import org.daarion.livingmap.source.nats.NatsIngest;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.MissedEvents;
import org.daarion.livingmap.stream.StreamHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance: the state owner numbers events and feeds history; the state is restored from the
 * newest stored snapshot plus the history after it; NATS (when configured) feeds the live intake.
 */
final class SingleTopology implements Topology {
  private static final Logger log = LoggerFactory.getLogger(SingleTopology.class);

  private final Config config;
  private final Clock clock;

  SingleTopology(Config config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  @Override
  public boolean clustered() {
    return false;
  }

  @Override
  public BooleanSupplier sharedJobs() {
    return () -> true;
  }

  /** Numbering continues after the newest event in history, in its epoch (or a new one). */
  @Override
  public Position start(HistoryStore history) {
    Optional<HistoryStore.Position> last = history.lastPosition().join();
    return new Position(
        last.map(HistoryStore.Position::epoch)
            .orElseGet(() -> UUID.randomUUID().toString().substring(0, 8)),
        last.map(HistoryStore.Position::seq).orElse(0L));
  }

  @Override
  public void feedHistory(StateOwner owner, HistoryWriter writer) {
    owner.addSink(writer);
    owner.rejectInto(writer);
  }

  @Override
  public void wireAlerts(AlertService alerts) {}

  @Override
  public MissedEvents missedEvents(Storage storage, Executor workers) {
    return storage.history::eventsAfter;
  }

  @Override
  public JsonObject restore(
      Storage storage,
      Position at,
      StateOwner owner,
      StreamHub hub,
      AlertService alerts,
      Consumer<JsonObject> storedRead) {
    return StartupRestore.fromHistory(storage.timeTravel, owner, at.epoch(), at.seq(), storedRead);
  }

  /** A single instance keeps silences only in the stored snapshot: store one after each change. */
  @Override
  public void snapshotsStored(AlertService alerts, SnapshotScheduler scheduler) {
    alerts.silences().onChange(scheduler::saveSoon);
  }

  /**
   * NATS core cannot wait: its messages queue in front of this (CoreIntakeQueue), which rejects
   * with the reason when full.
   */
  @Override
  public EventIntake liveIntake(EventParser parser, StateOwner owner, HistoryWriter writer) {
    return new EventIntake(parser, owner, writer, clock);
  }

  @Override
  public EventIntake postedEvents(EventParser parser, EventIntake live) {
    return live;
  }

  @Override
  public void startIngest(Pipeline pipeline, Closer closer) {
    if (config.natsUrl.isEmpty()) {
      return;
    }
    NatsIngest nats = new NatsIngest(config, pipeline.intake);
    // History here is keyed by this service's own positions, so only the message id keeps a
    // redelivery of a row stored before ids carried the stream's epoch out of history.
    nats.legacyIds(new StoredMsgIds(pipeline.storage.db)::anyStoredSince);
    closer.add(nats);
    nats.start();
    pipeline.checks.add(HealthChecks.nats(nats));
    if (nats.coreBudget() != null) {
      ServiceMetrics.budget(pipeline.metrics, nats.coreBudget());
    }
    ServiceMetrics.natsDropped(pipeline.metrics, nats);
  }

  /**
   * A baseline once the first poll has filled the map: time travel works from the first minute, and
   * a crash before the first interval replays from here instead of from nothing.
   */
  @Override
  public void pollerStarted(UpstreamPoller poller, SnapshotScheduler scheduler) {
    poller
        .pollNow()
        .onComplete(
            done ->
                scheduler
                    .saveNow()
                    .exceptionally(
                        err -> {
                          log.warn("baseline snapshot not stored: {}", err.getMessage());
                          return null;
                        }));
  }
}
