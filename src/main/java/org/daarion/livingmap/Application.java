package org.daarion.livingmap;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import org.daarion.livingmap.alert.AlertRoutes;
import org.daarion.livingmap.alert.AlertService;
import org.daarion.livingmap.api.AdminRoutes;
import org.daarion.livingmap.api.EntityRoutes;
import org.daarion.livingmap.api.HealthCheck;
import org.daarion.livingmap.api.HealthRoutes;
import org.daarion.livingmap.api.HistoryRoutes;
import org.daarion.livingmap.api.LayerVisibility;
import org.daarion.livingmap.api.SnapshotRoutes;
import org.daarion.livingmap.api.SourceRoutes;
import org.daarion.livingmap.api.http.ApiServer;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.api.security.Principal;
import org.daarion.livingmap.api.security.Security;
import org.daarion.livingmap.api.security.StreamGuard;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.event.ByteBudget;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.history.Database;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.history.HistoryWriter;
import org.daarion.livingmap.history.RecentHistory;
import org.daarion.livingmap.history.RetentionJob;
import org.daarion.livingmap.history.SharedJobsLease;
import org.daarion.livingmap.history.SnapshotData;
import org.daarion.livingmap.history.SnapshotScheduler;
import org.daarion.livingmap.history.SnapshotStore;
import org.daarion.livingmap.history.StoredSnapshot;
import org.daarion.livingmap.history.TimeTravel;
import org.daarion.livingmap.metrics.Metrics;
import org.daarion.livingmap.metrics.MetricsBridge;
import org.daarion.livingmap.simulator.Simulator;
import org.daarion.livingmap.source.bus.InProcessBus;
import org.daarion.livingmap.source.nats.ClusterStream;
import org.daarion.livingmap.source.nats.NatsIngest;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.source.upstream.SourcePolicy;
import org.daarion.livingmap.source.upstream.UpstreamPoller;
import org.daarion.livingmap.state.Entity;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.Relations;
import org.daarion.livingmap.state.SnapshotBuilder;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateCodec;
import org.daarion.livingmap.state.StateCut;
import org.daarion.livingmap.state.StateOwner;
import org.daarion.livingmap.stream.StreamEndpoint;
import org.daarion.livingmap.stream.StreamHub;
import org.daarion.livingmap.stream.StreamSession;
import org.daarion.livingmap.stream.StreamStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every component with its constructor, in the order data flows,
 * starts them, and stops them in reverse. Tests start the whole service through {@link #start}.
 *
 * <p>Start: database (migrated) → history store → the newest position in history → live state
 * restored from the newest stored snapshot plus the history after it → history writer → state owner
 * → snapshot scheduler and retention → sources (NATS, simulator) → HTTP. Stop: the reverse, so the
 * last events reach PostgreSQL and a final snapshot is stored.
 */
public final class Application implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Application.class);
  private static final int STATE_QUEUE = 65_536;

  private final Config config;
  private final Vertx vertx;
  private final Clock clock = Clock.systemUTC();

  /** Closed in reverse order of addition. */
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private StateOwner owner;
  private EventIntake intake;

  /** Where {@code POST /living-map/events} goes: the intake, or in cluster mode the stream. */
  private EventIntake eventsRoute;

  private InProcessBus bus;
  private SnapshotService snapshots;
  private HistoryStore history;
  private SnapshotScheduler snapshotScheduler;
  private ApiServer api;
  private Simulator simulator;
  private UpstreamPoller poller;
  private ExecutorService snapshotWorkers;
  private LiveState state;
  private SnapshotStore snapshotStore;
  private TimeTravel timeTravel;

  /** How the state was loaded at start, for {@code /health}: from a snapshot, history, or not. */
  private volatile JsonObject restoreStatus = new JsonObject().put("from", "empty");

  private final List<HealthCheck> checks = new ArrayList<>();
  private Metrics metrics;
  private AlertService alerts;
  private StreamHub hub;
  private StreamEndpoint stream;
  private Security security;
  private int port;

  /** Cluster mode only (LIVING_MAP_REPLICA_ID): the shared stream and the shared-jobs lease. */
  private ClusterStream clusterStream;

  private SharedJobsLease lease;
  private final java.util.concurrent.atomic.AtomicLong derivedDropped =
      new java.util.concurrent.atomic.AtomicLong();

  /** How long a replica waits for NATS at start-up before it refuses to start. */
  private static final java.time.Duration CLUSTER_CONNECT_TIMEOUT =
      java.time.Duration.ofSeconds(60);

  private Application(Config config) {
    this.config = config;
    this.vertx = Vertx.vertx();
  }

  /** Starts the service; completes when it listens on its port. */
  public static Future<Application> start(Config config) {
    Application app = new Application(config);
    return app.vertx
        .executeBlocking(
            () -> {
              app.build();
              return app;
            },
            false)
        .compose(a -> a.startSimulator())
        .map(
            v -> {
              app.startPoller();
              app.buildApi();
              return null;
            })
        .compose(v -> app.api.start())
        .map(
            p -> {
              app.port = p;
              log.info(
                  "living-map listening on http://{}:{} (version {})",
                  config.host,
                  p,
                  Version.get());
              return app;
            })
        .onFailure(err -> app.close());
  }

  /** Builds and starts the components; runs on a worker thread (it blocks on the database). */
  private void build() {
    Database db = Database.start(config);
    closeables.add(db);
    log.info("history in {}", db.description());
    history = new HistoryStore(db, config.responseBytes);
    snapshotStore = config.clustered() ? SnapshotStore.keepingKeyOrder(db) : new SnapshotStore(db);
    timeTravel = new TimeTravel(db, snapshotStore, history, this::replay);

    boolean cluster = config.clustered();
    String epoch;
    long seq;
    java.util.function.BooleanSupplier sharedJobs = () -> true;
    if (cluster) {
      // Positions are the shared stream's: its identity is the epoch, its sequences the seqs.
      clusterStream = new ClusterStream(config, NatsTuning.DEFAULTS);
      epoch = clusterStream.connect(CLUSTER_CONNECT_TIMEOUT);
      seq = 0;
      lease =
          new SharedJobsLease(
              db.dataSource(),
              config.natsStream,
              config.replicaId.orElseThrow(),
              SharedJobsLease.DEFAULT_RETRY);
      closeables.add(lease);
      lease.start();
      sharedJobs = lease::held;
    } else {
      Optional<HistoryStore.Position> last = history.lastPosition().join();
      epoch = last.map(HistoryStore.Position::epoch).orElseGet(Application::newEpoch);
      seq = last.map(HistoryStore.Position::seq).orElse(0L);
    }
    state = new LiveState(epoch, seq);

    RetentionJob retention = new RetentionJob(db, config, sharedJobs);
    closeables.add(retention);
    HistoryWriter writer = new HistoryWriter(db, config);
    closeables.add(writer);
    // Cluster mode: every replica writes the same events and PostgreSQL keeps whichever row came
    // first, with that replica's id, so no replica's memory can say what a page holds.
    RecentHistory recent = null;
    if (!cluster && config.historyMemoryBytes > 0) {
      recent = new RecentHistory(config.historyMemoryBytes, config.retention, clock);
      writer.feed(recent);
      recent.start(db.dataSource());
      // Workers of their own: the shared worker pool also runs slow blocking work (the
      // simulator's upstream pages at 100x held all 20 of its threads), and a page from memory
      // must not queue behind it.
      io.vertx.core.WorkerExecutor pages =
          vertx.createSharedWorkerExecutor(
              "living-map-history-memory", Math.max(2, Runtime.getRuntime().availableProcessors()));
      closeables.add(pages::close);
      history.answerRecentFrom(
          recent,
          task ->
              pages.executeBlocking(
                  () -> {
                    task.run();
                    return null;
                  },
                  false));
    }

    owner =
        new StateOwner(
            state,
            STATE_QUEUE,
            new ByteBudget("state", config.stateQueueBytes, ByteBudget.Overflow.BLOCK),
            clock);
    if (cluster) {
      // History is written by the shared durable consumer below, not from the live path; the
      // events this replica makes go to the stream, only while it runs the shared jobs.
      owner.positionsFromStream(this::publishDerived);
    } else {
      owner.addSink(writer);
      owner.rejectInto(writer);
    }
    closeables.add(owner);
    // A bad rule file refuses start-up here, with the file's line and the reason.
    alerts =
        AlertService.create(
            config,
            vertx,
            owner,
            () -> poller == null ? new JsonObject() : poller.sourcesJson(),
            alertNatsPublisher(),
            "http://" + config.host + ":" + config.port,
            clock);
    owner.addSink(alerts);
    closeables.add(alerts);
    if (cluster) {
      // Alerts are decided per stream position and operator actions travel through the stream,
      // so that every replica holds the same alerts, acks and silences.
      alerts.clusterMode(
          lease::held,
          (subject, payload) ->
              clusterStream.publish(
                  new org.daarion.livingmap.event.Event(
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
    snapshotWorkers = Executors.newFixedThreadPool(2, daemon("snapshot-build"));
    closeables.add(snapshotWorkers::shutdownNow);
    snapshots =
        new SnapshotService(owner, snapshotWorkers, this::meta, config.snapshotPrepareInterval);
    closeables.add(snapshots::close);
    // Resumes older than the hub's in-memory ring are served from history.
    hub =
        new StreamHub(
            owner,
            snapshots,
            snapshotWorkers,
            cluster ? clusterHistory() : history::eventsAfter,
            StreamHub.Options.defaults().withRingBytes(config.streamRingBytes),
            new StreamStats(),
            cluster);
    owner.addSink(hub);
    owner.start();
    if (cluster) {
      restoreCluster(epoch);
      // Silences changed after the stored snapshot are read back from the stream (the server
      // sends only their subject); those before it came with the snapshot.
      long silences =
          clusterStream.readBack(
              "living_map.alert.silence.>",
              state.seq(),
              java.time.Duration.ofSeconds(2),
              (subject, data) -> {
                try {
                  alerts.replayOperatorEvent(
                      subject, new JsonObject(io.vertx.core.buffer.Buffer.buffer(data)));
                } catch (RuntimeException bad) {
                  log.warn("silence event on {} not read back: {}", subject, bad.toString());
                }
              });
      log.info("{} silence event(s) read back from the stream", silences);
    } else {
      restore(timeTravel, epoch, seq);
    }

    snapshotScheduler =
        new SnapshotScheduler(
            snapshotStore,
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
                                cut.at().truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
                                Version.get(),
                                storedSnapshot(cut)),
                        snapshotWorkers),
            config,
            sharedJobs);
    closeables.add(snapshotScheduler);
    if (!cluster) {
      // A single instance keeps silences only in the stored snapshot: store one after each change.
      alerts.silences().onChange(snapshotScheduler::saveSoon);
    }
    retention.start();
    snapshotScheduler.start();

    alerts.start(AlertService.DEFAULT_TICK);

    if (cluster) {
      // Live: every replica reads the whole stream; rejected events are stored by the history
      // path, so here they are only holes in the seqs.
      intake =
          new EventIntake(
              new EventParser(config.maxEventBytes), owner, rejection -> {}, clock, true);
    } else {
      // NATS core cannot wait: its messages queue in front of this (CoreIntakeQueue), which
      // rejects with the reason when full.
      intake = new EventIntake(new EventParser(config.maxEventBytes), owner, writer, clock);
    }
    bus = new InProcessBus(intake);
    // Cluster mode: an event posted to one replica goes to the shared stream, so that every
    // replica applies it at its stream position and history writes it once.
    eventsRoute =
        cluster
            ? new EventIntake(
                new EventParser(config.maxEventBytes),
                e -> clusterStream.publish(e),
                rejection -> {},
                clock)
            : intake;

    checks.add(databaseCheck(db));
    checks.add(writerCheck(writer));
    checks.add(stateCheck(state));
    metrics = new Metrics();
    closeables.add(metrics);
    metrics.stateQueueDepth(owner::queueDepth);
    budgetMetrics(owner.queueBytes());
    budgetMetrics(writer.queueBytes());
    budgetMetrics(writer.rejectedBytes());
    historyMetrics(recent);
    metrics.stateEntities(state::size);
    metrics.stateSeq(state::seq);
    security = Security.create(vertx, config, clock, metrics);
    closeables.add(
        MetricsBridge.start(
            vertx, metrics, clock, intake, writer, hub.stats(), () -> poller, alerts));
    if (cluster) {
      closeables.add(clusterStream);
      clusterStream.onEpochChange(this::followNewEpoch);
      clusterStream.start(state.seq(), intake);
      checks.add(clusterCheck());
      // History: one durable consumer shared by the replicas, each event written once with its
      // stream position and acknowledged after commit; a dead replica's share is redelivered to
      // the others.
      EventIntake historyIntake =
          new EventIntake(
              new EventParser(config.maxEventBytes),
              e ->
                  writer.onEvents(
                      List.of(
                          e.sequenced(
                              e.streamSequence(), historyEpoch(e), state.resolve(e.entityId())))),
              writer,
              clock,
              true);
      NatsIngest nats = new NatsIngest(config, historyIntake);
      closeables.add(nats);
      nats.start();
      checks.add(natsCheck(nats));
    } else if (config.natsUrl.isPresent()) {
      NatsIngest nats = new NatsIngest(config, intake);
      // History here is keyed by this service's own positions, so only the message id keeps a
      // redelivery of a row stored before ids carried the stream's epoch out of history.
      nats.legacyIds(new org.daarion.livingmap.history.StoredMsgIds(db)::anyStoredSince);
      closeables.add(nats);
      nats.start();
      checks.add(natsCheck(nats));
      if (nats.coreBudget() != null) {
        budgetMetrics(nats.coreBudget());
      }
      // Core NATS has no flow control: what the client drops never reaches the intake, so it
      // can only be counted (it stays 0 while the intake keeps up, see docs/OPERATIONS.md).
      io.micrometer.core.instrument.FunctionCounter.builder(
              "living_map_nats_dropped", nats, NatsIngest::slowConsumerDrops)
          .description("NATS core messages the client dropped before the intake saw them")
          .tag("reason", "slow_consumer")
          .register(metrics.registry());
    }
  }

  /** Which source answered history pages, and what the recent rows in memory hold. */
  private void historyMetrics(RecentHistory recent) {
    for (String source : new String[] {"memory", "database"}) {
      io.micrometer.core.instrument.FunctionCounter.builder(
              "living_map_history_pages",
              history,
              h -> source.equals("memory") ? h.memoryPages() : h.databasePages())
          .description("GET /history pages answered, by where their rows came from")
          .tag("source", source)
          .register(metrics.registry());
    }
    if (recent != null) {
      String[] tags = {"budget", "history-memory", "policy", "evict"};
      metrics.gauge(
          "living_map_memory_used_bytes", "Bytes held by a bounded queue", recent::usedBytes, tags);
      metrics.gauge(
          "living_map_memory_limit_bytes", "The byte bound of that queue", recent::maxBytes, tags);
    }
  }

  /** A byte budget's level, bound and overflows, labelled with its name and overflow policy. */
  private void budgetMetrics(ByteBudget b) {
    String[] tags = {"budget", b.name(), "policy", b.overflow().name().toLowerCase(Locale.ROOT)};
    metrics.gauge("living_map_memory_used_bytes", "Bytes held by a bounded queue", b::used, tags);
    metrics.gauge("living_map_memory_limit_bytes", "The byte bound of that queue", b::limit, tags);
    io.micrometer.core.instrument.FunctionCounter.builder(
            "living_map_memory_overflows", b, x -> x.refusedCount() + x.waitCount())
        .description(
            "Times a bounded queue was full (the producer waited, or the item was refused)")
        .tags(tags)
        .register(metrics.registry());
  }

  /**
   * Cluster mode: history for resumes older than this replica's ring, only where it is complete.
   * Seqs have holes, so a run of rows cannot show it is whole; the shared durable consumer's ack
   * floor can (a message is acknowledged after its row is committed). Below the floor, the rows are
   * the run; above it, the resume fails and the client gets a resync snapshot, never a gap.
   */
  private org.daarion.livingmap.stream.MissedEvents clusterHistory() {
    return (ep, after, limit) ->
        java.util.concurrent.CompletableFuture.supplyAsync(
                () -> clusterStream.historyCompleteTo(config.natsDurable, ep), snapshotWorkers)
            .thenCompose(
                floor ->
                    floor >= after + limit
                        ? history.eventsAfter(ep, after, limit)
                        : java.util.concurrent.CompletableFuture.failedFuture(
                            new IllegalStateException(
                                "history complete only up to stream sequence " + floor)));
  }

  /**
   * Cluster mode: the epoch a history row is written under is the one its message came from (in its
   * id), not the live path's, which may already have moved on to a recreated stream or not yet.
   */
  private String historyEpoch(Event e) {
    String fromId =
        org.daarion.livingmap.source.nats.JetStreamMsgIds.epochOf(e.msgId(), config.natsStream);
    return fromId != null ? fromId : clusterStream.epoch();
  }

  /**
   * Cluster mode: the stream was recreated. The state is kept (the entities still exist; the new
   * stream's events change them from here) and its position starts again at 0 in the new epoch; the
   * stream ring is emptied and every connected client gets a resync snapshot of the new epoch.
   * Queued behind the old stream's events already handed to the owner, and ahead of the new
   * stream's first one. The lease holder stores a snapshot of the new epoch at once.
   */
  private void followNewEpoch(String previous, String current) {
    owner
        .call(
            a -> {
              a.continueAt(current, 0);
              hub.restartAt(current, 0);
              return null;
            })
        .thenRun(
            () -> {
              // A replica started from now on restores the kept state from a snapshot of the new
              // epoch instead of reading the new stream alone.
              if (lease.held()) {
                snapshotScheduler.saveNow();
              }
            });
  }

  /** Cluster mode: an event this replica made goes to the stream, from the lease holder only. */
  private boolean publishDerived(Event e) {
    if (lease != null && lease.held()) {
      clusterStream.publish(e);
      return true;
    }
    derivedDropped.incrementAndGet();
    return false;
  }

  /**
   * Cluster mode: the newest stored snapshot of this stream (any replica's: at the same seq they
   * are the same), then the stream itself from the sequence after it. History is not replayed: the
   * stream holds every event, history may still lack some that another replica has not written.
   */
  private void restoreCluster(String epoch) {
    Optional<org.daarion.livingmap.history.StoredSnapshot> stored = snapshotStore.latest().join();
    Optional<StateCut> base = Optional.empty();
    if (stored.isPresent() && epoch.equals(stored.get().epoch())) {
      try {
        base = Optional.of(StateCodec.loadChecked(stored.get().snapshot().getValue("state")));
        restoreStatus =
            new JsonObject().put("from", "snapshot").put("snapshot_seq", stored.get().seq());
      } catch (IllegalArgumentException bad) {
        // The stream holds every event: reading it from its start rebuilds the state.
        log.warn(
            "stored snapshot at seq {} cannot be restored ({}); reading the stream from its start",
            stored.get().seq(),
            bad.getMessage());
        restoreStatus =
            new JsonObject()
                .put("from", "stream")
                .put("snapshot_rejected", bad.getMessage())
                .put("snapshot_seq", stored.get().seq());
      }
    }
    stored.ifPresent(st -> restoreSilences(st.snapshot()));
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
              hub.continueAfter(a.state().seq());
              return null;
            })
        .join();
  }

  /**
   * Polls the six upstream sources: the configured URLs, and the built-in simulator for the ones
   * left unset when it runs. Sources with neither are not polled.
   */
  private void startPoller() {
    Map<UpstreamSource, URI> urls = new EnumMap<>(UpstreamSource.class);
    for (UpstreamSource s : UpstreamSource.values()) {
      Optional<URI> configured = config.upstreamUrls.get(s);
      if (configured.isPresent()) {
        urls.put(s, configured.get());
      } else if (simulator != null) {
        urls.put(s, URI.create(simulator.baseUrl()));
      }
    }
    if (urls.isEmpty()) {
      log.warn("no upstream source configured and no simulator: the map is fed by events only");
    }
    Optional<String> token =
        config.upstreamToken.or(() -> Optional.ofNullable(simulator).map(Simulator::serviceToken));
    UpstreamPoller.Builder builder =
        UpstreamPoller.builder(vertx)
            .urls(urls)
            .token(token)
            .interval(config.pollInterval)
            .defaultPolicy(SourcePolicy.defaults(config.upstreamTimeout));
    for (UpstreamSource s : UpstreamSource.values()) {
      builder.policy(s, SourcePolicy.of(config, s));
    }
    poller = builder.intake(owner).build();
    checks.add(sourcesCheck(poller));
    poller.start();
    // A baseline once the first poll has filled the map: time travel works from the first
    // minute, and a crash before the first interval replays from here instead of from nothing.
    if (config.clustered()) {
      // Cluster mode: the lease holder stores snapshots on its schedule.
      return;
    }
    poller
        .pollNow()
        .onComplete(
            done ->
                snapshotScheduler
                    .saveNow()
                    .exceptionally(
                        err -> {
                          log.warn("baseline snapshot not stored: {}", err.getMessage());
                          return null;
                        }));
  }

  private void buildApi() {
    List<RouteGroup> groups = new ArrayList<>();
    groups.add(new HealthRoutes(Version.get(), checks, clock));
    // Payloads may name a hidden entity by an upstream key (a UUID): the live alias index says.
    security.layers().resolveAliasesWith(state::resolve);
    groups.add(security.snapshotGuard(snapshots::prepared));
    groups.add(
        new SnapshotRoutes(
            snapshots, at -> timeTravel.stateAt(at).thenApply(r -> r.found() ? r.state() : null)));
    LayerVisibility visibility = ctx -> security.layers().hidden(Principal.of(ctx));
    groups.add(
        new org.daarion.livingmap.api.DiffRoutes(
            timeTravel, () -> owner.state().epoch(), visibility));
    groups.add(new EntityRoutes(state, this::enrich, visibility));
    groups.add(new HistoryRoutes(history, snapshotStore, clock, visibility));
    groups.add(new SourceRoutes(poller, owner, visibility));
    groups.add(new AlertRoutes(alerts, ctx -> Principal.of(ctx).hasRole(Principal.ADMIN)));
    stream = new StreamEndpoint(vertx, config, hub);
    groups.add(router -> router.get("/living-map/stream").handler(this::openStream));
    groups.add(
        new AdminRoutes(
            () -> poller.pollNow().toCompletionStage().toCompletableFuture(),
            () -> snapshotScheduler.saveNow(),
            eventsRoute));
    api = new ApiServer(vertx, config, Version.get(), groups, security, metrics);
  }

  /**
   * {@code GET /living-map/stream}: the caller is already authenticated by the router (header,
   * {@code access_token} or the bearer subprotocol); here it takes a per-client socket slot, and
   * its session closes the socket when its token expires and limits its frames.
   */
  private void openStream(io.vertx.ext.web.RoutingContext ctx) {
    Principal principal = Principal.of(ctx);
    StreamGuard.Admission admission =
        security.streams().admit(security.clientKey(principal, ctx.request()));
    if (!admission.ok()) {
      metrics.wsRefused(admission.code());
      ctx.response()
          .setStatusCode(admission.status())
          .putHeader("Retry-After", Long.toString(admission.retryAfterSeconds()))
          .putHeader("Content-Type", "application/json")
          .end(
              new JsonObject()
                  .put("error", admission.code())
                  .put("detail", admission.reason())
                  .encode());
      return;
    }
    long[] expiryTimer = {-1};
    org.daarion.livingmap.visibility.Visibility visibility =
        security.layers().visibility(principal);
    stream.handle(
        ctx.request(),
        new StreamSession() {
          @Override
          public void opened(io.vertx.core.http.ServerWebSocket ws) {
            expiryTimer[0] = security.closeOnExpiry(ws, principal);
          }

          @Override
          public boolean allowFrame() {
            return admission.ticket().allowFrame();
          }

          @Override
          public org.daarion.livingmap.visibility.Visibility visibility() {
            return visibility;
          }

          @Override
          public void closed() {
            admission.ticket().release();
            if (expiryTimer[0] >= 0) {
              vertx.cancelTimer(expiryTimer[0]);
            }
          }
        });
  }

  /**
   * Loads the newest stored snapshot and the history after it into the state, then continues
   * numbering after the newest event in history.
   */
  private void restore(TimeTravel timeTravel, String epoch, long seq) {
    Optional<TimeTravel.Restore> restore = timeTravel.restoreOnStart().join();
    StateCut checked = null;
    if (restore.isPresent() && restore.get().snapshot() != null) {
      StoredSnapshot stored = restore.get().snapshot();
      try {
        checked = StateCodec.loadChecked(stored.snapshot().getValue("state"));
        restoreStatus = new JsonObject().put("from", "snapshot").put("snapshot_seq", stored.seq());
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
        restoreStatus =
            new JsonObject()
                .put("from", fromHistory.isPresent() ? "history" : "empty")
                .put("snapshot_rejected", bad.getMessage())
                .put("snapshot_seq", stored.seq());
        restore = fromHistory;
      }
    } else if (restore.isPresent()) {
      restoreStatus = new JsonObject().put("from", "history");
    }
    if (restore.isPresent() && restore.get().snapshot() != null) {
      restoreSilences(restore.get().snapshot().snapshot());
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
  }

  /**
   * Entity detail beyond the live fields: relations (from a cut), the last 20 events (history), and
   * the owning service's own record (cached briefly). No part can fail the request: a part that
   * fails says so inside the JSON.
   */
  private CompletableFuture<JsonObject> enrich(Entity entity, JsonObject detail) {
    CompletableFuture<Object> relations =
        owner
            .cut()
            .thenApplyAsync(
                cut -> (Object) Relations.relationsOf(cut, entity.id()), snapshotWorkers);
    CompletableFuture<Object> events =
        history.recentForEntity(entity.id(), 20).thenApply(list -> (Object) list);
    CompletableFuture<Object> upstream =
        poller == null
            ? CompletableFuture.completedFuture(null)
            : poller
                .upstreamDetail(entity.type(), entity.id(), entity.data(), entity.extra())
                .toCompletionStage()
                .toCompletableFuture()
                .thenApply(j -> j);
    return CompletableFuture.allOf(
            relations.exceptionally(e -> null),
            events.exceptionally(e -> null),
            upstream.exceptionally(e -> null))
        .thenApply(
            v -> {
              part(detail, "relations", relations, new JsonArray());
              part(detail, "recent_events", events, new JsonArray());
              part(detail, "upstream", upstream, null);
              return detail;
            });
  }

  /** Puts a part's value, or its empty value and an {@code <part>_error} when it failed. */
  private static void part(
      JsonObject detail, String name, CompletableFuture<Object> f, Object empty) {
    try {
      detail.put(name, f.join());
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      detail.put(name, empty).put(name + "_error", String.valueOf(cause.getMessage()));
    }
  }

  /** The silences a stored snapshot keeps (none in those stored by older versions). */
  private void restoreSilences(JsonObject stored) {
    if (stored.getValue("silences") instanceof io.vertx.core.json.JsonArray kept) {
      log.info("{} silence(s) restored from the stored snapshot", alerts.silences().restore(kept));
    }
  }

  /** A stored snapshot: the API snapshot plus the full state it was built from. */
  private JsonObject storedSnapshot(StateCut cut) {
    return SnapshotBuilder.build(cut, meta())
        .put("state", StateCodec.dump(cut))
        // Silences are operator state, not entity state: without them here a single instance
        // loses them on restart and a replica started after the stream's max_age never sees them.
        .put("silences", alerts.silences().toJson());
  }

  /** Time travel's replay: stored state + events → the API snapshot at {@code at}. */
  private JsonObject replay(JsonObject stored, Iterable<Event> events, java.time.Instant at) {
    JsonObject state = stored.getJsonObject("state");
    if (state == null) {
      throw new IllegalStateException("stored snapshot has no state to replay from");
    }
    return StateCodec.replay(state, events, at, meta().put("time_travel", true));
  }

  /**
   * Starts the built-in simulator when configured (the embedded default), feeding the in-process
   * bus; completes when its upstream endpoints listen.
   */
  private Future<Void> startSimulator() {
    if (!config.simulatorEnabled()) {
      return Future.succeededFuture();
    }
    simulator = Simulator.create(config, vertx, bus);
    return simulator
        .start()
        .map(
            simPort -> {
              log.info("simulator serving DAARION upstreams at {}", simulator.baseUrl());
              return null;
            });
  }

  private JsonObject meta() {
    JsonArray services = new JsonArray();
    JsonObject sources = new JsonObject();
    if (poller != null) {
      poller.sourceServices().forEach(services::add);
      sources = poller.sourcesJson();
    }
    JsonObject meta =
        new JsonObject().put("source_services", services).put("version", Version.get());
    if (!config.clustered()) {
      // Cluster mode leaves out this replica's own view of its upstream polls, so that replicas at
      // one seq serve the same bytes; each replica's is at /living-map/sources and in /health.
      meta.put("sources", sources);
    }
    return meta;
  }

  private static HealthCheck sourcesCheck(UpstreamPoller poller) {
    return check(
        "sources",
        false,
        () ->
            new JsonObject()
                .put("status", poller.anyStale() ? "degraded" : "ok")
                .put("sources", poller.sourcesJson()));
  }

  /** Publishes alert changes to NATS when a subject and a server are configured. */
  private java.util.function.BiConsumer<String, byte[]> alertNatsPublisher() {
    if (config.alertNatsSubject.isEmpty() || config.natsUrl.isEmpty()) {
      return null;
    }
    NatsPublisher publisher = NatsPublisher.connect(config.natsUrl.get());
    closeables.add(publisher);
    return (subject, data) -> publisher.publish(subject, data, null);
  }

  private static String newEpoch() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static HealthCheck databaseCheck(Database db) {
    return check(
        "database",
        true,
        () -> {
          Database.Health h = db.health();
          return new JsonObject()
              .put("status", h.up() ? "ok" : "down")
              .put("embedded", db.embedded())
              .put("latency_ms", h.latencyMs())
              .put("last_error", h.lastError());
        });
  }

  private static HealthCheck writerCheck(HistoryWriter writer) {
    return check(
        "history_writer",
        false,
        () -> {
          HistoryWriter.Status s = writer.status();
          return new JsonObject()
              .put("status", s.state() == HistoryWriter.State.OK ? "ok" : "degraded")
              .put("queue", s.queueDepth())
              .put("queue_capacity", s.queueCapacity())
              .put("rows_written", s.rowsWritten())
              .put("last_batch_size", s.lastBatchSize())
              .put("last_batch_latency_ms", s.lastBatchLatencyMs())
              .put("last_error", s.lastError());
        });
  }

  private HealthCheck stateCheck(LiveState state) {
    return check(
        "state",
        false,
        () ->
            new JsonObject()
                .put("status", "ok")
                .put("seq", state.seq())
                .put("epoch", state.epoch())
                .put("entities", state.size())
                .put("queue", owner.queueDepth())
                .put("reducer_errors", owner.reducerErrors())
                .put("reducer_rejected", owner.reducerRejectedCount())
                .put("upstream_oversized", owner.upstreamOversizedCount())
                .put("restore", restoreStatus));
  }

  /** Cluster mode: this replica, its position in the shared stream, and the lease. */
  private HealthCheck clusterCheck() {
    return check(
        "cluster",
        false,
        () -> {
          long applied = state.seq();
          long read = clusterStream.lastDelivered();
          long streamLast = read + clusterStream.pending();
          long lag = clusterStream.pending() + owner.queueDepth();
          return new JsonObject()
              .put("status", clusterStream.connected() ? "ok" : "degraded")
              .put("replica_id", config.replicaId.orElse(null))
              .put("stream", clusterStream.stream())
              .put("epoch", state.epoch())
              .put("epoch_changes", clusterStream.epochChanges())
              .put("applied_seq", applied)
              .put("stream_last_seq", streamLast)
              .put("lag", lag)
              .put("shared_jobs", lease.held())
              .put("derived_published", clusterStream.published())
              .put("derived_publish_failures", clusterStream.publishFailures())
              .put("derived_dropped", derivedDropped.get())
              .put("last_error", clusterStream.lastError());
        });
  }

  /**
   * Critical: while NATS is away no event reaches the map, so an orchestrator should send readers
   * to a replica that has it ({@code /health/ready} answers 503 then).
   */
  private static HealthCheck natsCheck(NatsIngest nats) {
    return check(
        "nats",
        true,
        () -> {
          NatsIngest.State s = nats.state();
          return new JsonObject()
              .put("status", s.ready() ? "ok" : "down")
              .put("connection", s.status().wireName())
              .put("mode", s.mode().name().toLowerCase(Locale.ROOT))
              .put("received", s.received())
              .put("acked", s.acked())
              .put("slow_consumer_drops", s.slowConsumerDrops())
              .put("reconnects", s.reconnects())
              .put("last_error", s.lastError());
        });
  }

  private static HealthCheck check(
      String name, boolean critical, java.util.function.Supplier<JsonObject> body) {
    return new HealthCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public JsonObject check() {
        return body.get();
      }

      @Override
      public boolean critical() {
        return critical;
      }
    };
  }

  /** Stores a snapshot now (admin operation and tests). */
  public CompletableFuture<?> storeSnapshotNow() {
    return snapshotScheduler.saveNow();
  }

  /** A fresh router with every route the service serves (for the OpenAPI coverage test). */
  public io.vertx.ext.web.Router apiRouter() {
    return api.router();
  }

  /** The built-in simulator, or null when it does not run. */
  public Simulator simulator() {
    return simulator;
  }

  public int port() {
    return port;
  }

  public Vertx vertx() {
    return vertx;
  }

  public StateOwner owner() {
    return owner;
  }

  public AlertService alerts() {
    return alerts;
  }

  public EventIntake intake() {
    return intake;
  }

  public InProcessBus bus() {
    return bus;
  }

  public HistoryStore history() {
    return history;
  }

  public SnapshotService snapshots() {
    return snapshots;
  }

  public Config config() {
    return config;
  }

  /** Requests refused as crafted or malformed, by kind. */
  public org.daarion.livingmap.api.http.BadInput apiBadInput() {
    return api.badInput();
  }

  public Metrics metrics() {
    return metrics;
  }

  public Security security() {
    return security;
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops everything in reverse order of start: the last events reach history first. */
  @Override
  public void close() {
    if (stream != null) {
      stream.closeAll();
    }
    if (api != null) {
      api.stop().await();
    }
    if (poller != null) {
      poller.stop().await();
    }
    if (simulator != null) {
      simulator.stop().await();
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("error while stopping: {}", e.toString());
      }
    }
    closeables.clear();
    vertx.close().await();
  }
}
