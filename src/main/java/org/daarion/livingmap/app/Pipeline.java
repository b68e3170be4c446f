package org.daarion.livingmap.app;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.daarion.livingmap.alert.AlertService;
import org.daarion.livingmap.api.HealthCheck;
import org.daarion.livingmap.api.security.Security;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.ByteBudget;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.history.SnapshotData;
import org.daarion.livingmap.history.SnapshotScheduler;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.metrics.MetricsBridge;
import org.daarion.livingmap.source.bus.InProcessBus;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.state.StoredSnapshots;
import org.daarion.livingmap.stream.StreamHub;
import org.daarion.livingmap.stream.StreamStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline part, in the order data flows: live state and its owner → history and alerts as the
 * owner's sinks → snapshots → stream hub → the restore → stored snapshots on a schedule → the
 * intake sources feed → metrics and the checks {@code /health} reads. Built on a worker thread: the
 * restore blocks until the owner has applied it.
 */
final class Pipeline {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);
  private static final int STATE_QUEUE = 65_536;

  final Config config;
  final Clock clock;
  final Storage storage;
  final Topology topology;
  final LiveState state;
  final StateOwner owner;
  final AlertService alerts;
  final ExecutorService snapshotWorkers;
  final SnapshotService snapshots;
  final StreamHub hub;

  /** How the state was loaded at start, for {@code /health}: from a snapshot, history, or not. */
  final JsonObject restoreStatus;

  final SnapshotScheduler snapshotScheduler;
  final EventIntake intake;
  final InProcessBus bus;

  /** Where {@code POST /living-map/events} goes: the intake, or in cluster mode the stream. */
  final EventIntake postedEvents;

  final Metrics metrics;
  final Security security;

  /** Added to by the sources as they start; read by {@code /health}. */
  final List<HealthCheck> checks = new ArrayList<>();

  Pipeline(
      Config config,
      Vertx vertx,
      Clock clock,
      Closer closer,
      Storage storage,
      Topology topology,
      Supplier<JsonObject> meta,
      StoredSnapshots format,
      AtomicReference<UpstreamPoller> poller) {
    this.config = config;
    this.clock = clock;
    this.storage = storage;
    this.topology = topology;
    Topology.Position start = topology.start(storage.history);
    state = new LiveState(start.epoch(), start.seq());
    owner =
        new StateOwner(
            state,
            STATE_QUEUE,
            new ByteBudget("state", config.stateQueueBytes, ByteBudget.Overflow.BLOCK),
            clock);
    topology.feedHistory(owner, storage.writer);
    closer.add(owner);
    // A bad rule file refuses start-up here, with the file's line and the reason.
    alerts =
        AlertService.create(
            config,
            vertx,
            owner,
            () -> poller.get() == null ? new JsonObject() : poller.get().sourcesJson(),
            alertNatsPublisher(config, closer),
            "http://" + config.host + ":" + config.port,
            clock);
    owner.addSink(alerts);
    closer.add(alerts);
    topology.wireAlerts(alerts);
    snapshotWorkers = Executors.newFixedThreadPool(2, daemon("snapshot-build"));
    closer.add(snapshotWorkers::shutdownNow);
    snapshots = new SnapshotService(owner, snapshotWorkers, meta, config.snapshotPrepareInterval);
    closer.add(snapshots::close);
    // Resumes older than the hub's in-memory ring are served from history.
    hub =
        new StreamHub(
            owner,
            snapshots,
            snapshotWorkers,
            topology.missedEvents(storage, snapshotWorkers),
            StreamHub.Options.defaults().withRingBytes(config.streamRingBytes),
            new StreamStats(),
            topology.clustered());
    owner.addSink(hub);
    snapshots.keepWarmWhile(() -> hub.stats().connections() > 0);
    owner.start();
    restoreStatus = topology.restore(storage, start, owner, hub, alerts, this::restoreSilences);

    snapshotScheduler =
        closer.add(
            new SnapshotScheduler(
                storage.snapshotStore,
                () ->
                    owner
                        .cut()
                        .thenApplyAsync(
                            cut ->
                                new SnapshotData(
                                    cut.seq(),
                                    cut.epoch(),
                                    // Milliseconds: the time a browser reads back from the list
                                    // must find this snapshot "at or before" it.
                                    cut.at().truncatedTo(ChronoUnit.MILLIS),
                                    Version.get(),
                                    format.stored(cut, alerts.silences().toJson())),
                            snapshotWorkers),
                config,
                topology.sharedJobs(),
                () -> owner.state().seq()));
    topology.snapshotsStored(alerts, snapshotScheduler);
    storage.retention.start();
    snapshotScheduler.start();
    alerts.start(AlertService.DEFAULT_TICK);

    EventParser parser = new EventParser(config.maxEventBytes);
    intake = topology.liveIntake(parser, owner, storage.writer);
    bus = new InProcessBus(intake);
    postedEvents = topology.postedEvents(parser, intake);

    checks.add(HealthChecks.database(storage.db));
    checks.add(HealthChecks.writer(storage.writer));
    checks.add(HealthChecks.state(state, owner, restoreStatus));
    metrics = closer.add(new Metrics());
    ServiceMetrics.register(metrics, owner, state, storage);
    security = Security.create(vertx, config, clock, metrics);
    closer.add(
        MetricsBridge.start(
            vertx, metrics, clock, intake, storage.writer, hub.stats(), poller::get, alerts));
  }

  /** The silences a stored snapshot keeps (none in those stored by older versions). */
  private void restoreSilences(JsonObject stored) {
    JsonArray kept = StoredSnapshots.silences(stored);
    if (kept != null) {
      log.info("{} silence(s) restored from the stored snapshot", alerts.silences().restore(kept));
    }
  }

  /** Publishes alert changes to NATS when a subject and a server are configured. */
  private static BiConsumer<String, byte[]> alertNatsPublisher(Config config, Closer closer) {
    if (config.alertNatsSubject.isEmpty() || config.natsUrl.isEmpty()) {
      return null;
    }
    NatsPublisher publisher = closer.add(NatsPublisher.connect(config.natsUrl.get()));
    return (subject, data) -> publisher.publish(subject, data, null);
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
