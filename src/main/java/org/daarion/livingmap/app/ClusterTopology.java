package org.daarion.livingmap.app;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.daarion.livingmap.alert.AlertService;
import org.daarion.livingmap.api.HealthCheck;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.HistoryWriter;
import org.daarion.livingmap.history.SharedJobsLease;
import org.daarion.livingmap.history.SnapshotScheduler;
import org.daarion.livingmap.history.StartupRestore;
import org.daarion.livingmap.source.nats.ClusterStream;
import org.daarion.livingmap.source.nats.JetStreamMsgIds;
import org.daarion.livingmap.source.nats.NatsIngest;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.MissedEvents;
import org.daarion.livingmap.stream.StreamHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica of a cluster ({@code LIVING_MAP_REPLICA_ID}): positions are the shared JetStream
 * stream's (its identity is the epoch, its sequences the seqs); every replica reads the whole
 * stream into its state; history is written once per event by the durable consumer the replicas
 * share; the shared jobs and the events this replica makes belong to the holder of a PostgreSQL
 * lease.
 */
final class ClusterTopology implements Topology {
  private static final Logger log = LoggerFactory.getLogger(ClusterTopology.class);

  /** How long a replica waits for NATS at start-up before it refuses to start. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(60);

  private final Config config;
  private final Clock clock;
  private final ClusterStream stream;
  private final SharedJobsLease lease;
  private final AtomicLong derivedDropped = new AtomicLong();

  ClusterTopology(Config config, Clock clock, Database db, Closer closer) {
    this.config = config;
    this.clock = clock;
    this.stream = new ClusterStream(config, NatsTuning.DEFAULTS);
    this.lease =
        closer.add(
            new SharedJobsLease(
                db.dataSource(),
                config.natsStream,
                config.replicaId.orElseThrow(),
                SharedJobsLease.DEFAULT_RETRY));
  }

  @Override
  public boolean clustered() {
    return true;
  }

  @Override
  public BooleanSupplier sharedJobs() {
    return lease::held;
  }

  @Override
  public Position start(HistoryStore history) {
    String epoch = stream.connect(CONNECT_TIMEOUT);
    lease.start();
    return new Position(epoch, 0);
  }

  /**
   * History is written by the shared durable consumer, not from the live path; the events this
   * replica makes go to the stream, only while it runs the shared jobs.
   */
  @Override
  public void feedHistory(StateOwner owner, HistoryWriter writer) {
    owner.positionsFromStream(this::publishDerived);
  }

  /**
   * Alerts are decided per stream position and operator actions travel through the stream, so that
   * every replica holds the same alerts, acks and silences.
   */
  @Override
  public void wireAlerts(AlertService alerts) {
    alerts.clusterMode(
        lease::held,
        (subject, payload) ->
            stream.publish(
                new Event(
                    0,
                    null,
                    clock.instant(),
                    subject,
                    null,
                    null,
                    "living-map-service",
                    payload,
                    null,
                    null)));
  }

  /**
   * History for resumes older than this replica's ring, only where it is complete. Seqs have holes,
   * so a run of rows cannot show it is whole; the shared durable consumer's ack floor can (a
   * message is acknowledged after its row is committed). Below the floor, the rows are the run;
   * above it, the resume fails and the client gets a resync snapshot, never a gap.
   */
  @Override
  public MissedEvents missedEvents(Storage storage, Executor workers) {
    return (ep, after, limit) ->
        CompletableFuture.supplyAsync(
                () -> stream.historyCompleteTo(config.natsDurable, ep), workers)
            .thenCompose(
                floor ->
                    floor >= after + limit
                        ? storage.history.eventsAfter(ep, after, limit)
                        : CompletableFuture.failedFuture(
                            new IllegalStateException(
                                "history complete only up to stream sequence " + floor)));
  }

  /**
   * The newest stored snapshot of this stream, then the stream after it. Silences changed after the
   * stored snapshot are read back from the stream (the server sends only their subject); those
   * before it came with the snapshot.
   */
  @Override
  public JsonObject restore(
      Storage storage,
      Position at,
      StateOwner owner,
      StreamHub hub,
      AlertService alerts,
      Consumer<JsonObject> storedRead) {
    JsonObject status =
        StartupRestore.fromStream(
            storage.snapshotStore, owner, at.epoch(), hub::continueAfter, storedRead);
    long silences =
        stream.readBack(
            "living_map.alert.silence.>",
            owner.state().seq(),
            Duration.ofSeconds(2),
            (subject, data) -> {
              try {
                alerts.replayOperatorEvent(subject, new JsonObject(Buffer.buffer(data)));
              } catch (RuntimeException bad) {
                log.warn("silence event on {} not read back: {}", subject, bad.toString());
              }
            });
    log.info("{} silence event(s) read back from the stream", silences);
    return status;
  }

  /** The lease holder stores snapshots on its schedule; silences travel through the stream. */
  @Override
  public void snapshotsStored(AlertService alerts, SnapshotScheduler scheduler) {}

  /**
   * Live: every replica reads the whole stream; rejected events are stored by the history path, so
   * here they are only holes in the seqs.
   */
  @Override
  public EventIntake liveIntake(EventParser parser, StateOwner owner, HistoryWriter writer) {
    return new EventIntake(parser, owner, rejection -> {}, clock, true);
  }

  /**
   * An event posted to one replica goes to the shared stream, so that every replica applies it at
   * its stream position and history writes it once.
   */
  @Override
  public EventIntake postedEvents(EventParser parser, EventIntake live) {
    return new EventIntake(parser, e -> stream.publish(e), rejection -> {}, clock);
  }

  @Override
  public void startIngest(Pipeline pipeline, Closer closer) {
    closer.add(stream);
    stream.onEpochChange((previous, current) -> followNewEpoch(pipeline, current));
    stream.start(pipeline.state.seq(), pipeline.intake);
    pipeline.checks.add(check(pipeline));
    // History: one durable consumer shared by the replicas, each event written once with its
    // stream position and acknowledged after commit; a dead replica's share is redelivered to
    // the others.
    HistoryWriter writer = pipeline.storage.writer;
    EventIntake historyIntake =
        new EventIntake(
            new EventParser(config.maxEventBytes),
            e ->
                writer.onEvents(
                    List.of(
                        e.sequenced(
                            e.streamSequence(),
                            historyEpoch(e),
                            pipeline.state.resolve(e.entityId())))),
            writer,
            clock,
            true);
    NatsIngest nats = closer.add(new NatsIngest(config, historyIntake));
    nats.start();
    pipeline.checks.add(HealthChecks.nats(nats));
  }

  /** Replicas store snapshots on the lease holder's schedule, not after the first poll. */
  @Override
  public void pollerStarted(UpstreamPoller poller, SnapshotScheduler scheduler) {}

  /**
   * The epoch a history row is written under is the one its message came from (in its id), not the
   * live path's, which may already have moved on to a recreated stream or not yet.
   */
  private String historyEpoch(Event e) {
    String fromId = JetStreamMsgIds.epochOf(e.msgId(), config.natsStream);
    return fromId != null ? fromId : stream.epoch();
  }

  /**
   * The stream was recreated. The state is kept (the entities still exist; the new stream's events
   * change them from here) and its position starts again at 0 in the new epoch; the stream ring is
   * emptied and every connected client gets a resync snapshot of the new epoch. Queued behind the
   * old stream's events already handed to the owner, and ahead of the new stream's first one. The
   * lease holder stores a snapshot of the new epoch at once.
   */
  private void followNewEpoch(Pipeline pipeline, String current) {
    pipeline
        .owner
        .call(
            a -> {
              a.continueAt(current, 0);
              pipeline.hub.restartAt(current, 0);
              return null;
            })
        .thenRun(
            () -> {
              // A replica started from now on restores the kept state from a snapshot of the new
              // epoch instead of reading the new stream alone.
              if (lease.held()) {
                pipeline.snapshotScheduler.saveNow();
              }
            });
  }

  /** An event this replica made goes to the stream, from the lease holder only. */
  private boolean publishDerived(Event e) {
    if (lease.held()) {
      stream.publish(e);
      return true;
    }
    derivedDropped.incrementAndGet();
    return false;
  }

  /** This replica, its position in the shared stream, and the lease. */
  private HealthCheck check(Pipeline pipeline) {
    return HealthChecks.check(
        "cluster",
        false,
        () -> {
          long applied = pipeline.state.seq();
          long read = stream.lastDelivered();
          long streamLast = read + stream.pending();
          long lag = stream.pending() + pipeline.owner.queueDepth();
          return new JsonObject()
              .put("status", stream.connected() ? "ok" : "degraded")
              .put("replica_id", config.replicaId.orElse(null))
              .put("stream", stream.stream())
              .put("epoch", pipeline.state.epoch())
              .put("epoch_changes", stream.epochChanges())
              .put("applied_seq", applied)
              .put("stream_last_seq", streamLast)
              .put("lag", lag)
              .put("shared_jobs", lease.held())
              .put("derived_published", stream.published())
              .put("derived_publish_failures", stream.publishFailures())
              .put("derived_dropped", derivedDropped.get())
              .put("last_error", stream.lastError());
        });
  }
}
