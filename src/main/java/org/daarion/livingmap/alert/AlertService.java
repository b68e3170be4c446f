package org.daarion.livingmap.alert;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventSink;
import org.daarion.livingmap.metrics.AlertGauges;
import org.daarion.livingmap.state.AlertMarks;
import org.daarion.livingmap.state.Entity;
import org.daarion.livingmap.state.StateOwner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alerts over the live state (issue 9). Register it as a sink of the {@link StateOwner}, then
 * {@link #start} its clock:
 *
 * <ul>
 *   <li>As an {@link EventSink} it runs on the owner's thread after each batch: rate rules count
 *       the batch's events, entity rules look at each changed entity once, in its state after the
 *       batch. Nothing blocks and nothing is rendered unless an alert changes state.
 *   <li>Its clock ({@link #tick}, every {@code tickInterval} from {@link #start}) runs on the
 *       owner's thread too, through {@link StateOwner#call}: {@code for} durations, rate windows
 *       decaying, source-status rules, Alertmanager refreshes.
 *   <li>When an alert fires or resolves, a command on the owner's thread emits {@code
 *       living_map.alert.firing} / {@code .resolved} (payload: {@link Alert#toJson()}) and applies
 *       it to the entity through its reducer ({@link AlertMarks}), so history, the stream and the
 *       snapshot see it in seq order, and a state rebuilt from history has the same alerts. Then
 *       the {@link AlertNotifier} is told, unless the alert is silenced.
 * </ul>
 *
 * <p>The engine's state belongs to the owner's thread. The API reads immutable {@link Alert}s from
 * the {@link AlertBoard} this class publishes; acknowledgements go through the owner ({@link
 * #ack}).
 */
public final class AlertService implements EventSink, AlertGauges, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlertService.class);

  /** Resolved alerts kept for the API. */
  static final int RECENT = 1000;

  /** The clock's default period: the resolution of {@code for} and {@code keep_firing_for}. */
  public static final Duration DEFAULT_TICK = Duration.ofSeconds(1);

  /** How often firing alerts are repeated to Alertmanager (Prometheus does it every minute). */
  public static final Duration DEFAULT_RESEND = Duration.ofMinutes(1);

  private final StateOwner owner;
  private final AlertEngine engine;
  private final AlertNotifier notifier;
  private final Supplier<JsonObject> sourceStatus;
  private final Clock clock;
  private final Silences silences;
  private final Duration resendInterval;

  private static final int SMALL_BATCH = 256;

  // Owner thread only.
  private Set<String> changed = new LinkedHashSet<>();
  private final Set<String> notified = new HashSet<>();
  private boolean applyQueued;
  private long lastResend;
  // Written by the owner thread only; volatile so metrics and benchmarks can read it.
  private volatile long evaluationNanos;
  private volatile long eventsSeen;

  // Published for any thread.
  private final AlertBoard board = new AlertBoard(RECENT);

  // Owner thread only: changes recorded in the maps above, still to be emitted and notified.
  private final List<AlertEngine.Change> toEmit = new ArrayList<>();

  // Cluster mode (set before start): whether this replica holds the shared-jobs lease, and where
  // operator actions go (the shared stream). Null in a single instance.
  private volatile BooleanSupplier leaseHeld;
  private volatile BiConsumer<String, JsonObject> operatorLog;

  private AlertClock ticker;

  /**
   * @param rules from {@link AlertRules#load} or {@link AlertRules#defaults}
   * @param notifier {@link HttpAlertNotifier}, or {@link AlertNotifier#NONE}
   * @param sourceStatus the upstream sources' status ({@code {"city-service": {"state": "ok"},
   *     ...}}), read once per tick on the clock's thread; null when there is none
   * @param clock the time rules are measured by (tests pass a controllable one)
   * @param resendInterval how often firing alerts are repeated to the notifier's {@link
   *     AlertNotifier#stillFiring} (Alertmanager)
   */
  public AlertService(
      StateOwner owner,
      List<AlertRule> rules,
      AlertNotifier notifier,
      Supplier<JsonObject> sourceStatus,
      Clock clock,
      Duration resendInterval) {
    this.owner = owner;
    this.engine = new AlertEngine(rules, id -> owner.state().get(owner.state().resolve(id)));
    this.notifier = notifier == null ? AlertNotifier.NONE : notifier;
    this.sourceStatus = sourceStatus;
    this.clock = clock;
    this.silences = new Silences(clock);
    this.resendInterval = resendInterval;
    this.lastResend = clock.millis();
  }

  /**
   * The service as configuration asks for it, for the composition root: rules from {@code
   * LIVING_MAP_ALERT_RULES} (or the built-in ones), an {@link HttpAlertNotifier} when a webhook,
   * Alertmanager or NATS subject is configured. Register the result with {@link StateOwner#addSink}
   * before the owner starts, call {@link #start} once it runs, mount {@link AlertRoutes}, and close
   * it on shutdown.
   *
   * @param sourceStatus the upstream sources' status, or null
   * @param natsPublisher publishes to NATS, or null (then {@code LIVING_MAP_ALERT_NATS_SUBJECT} is
   *     ignored)
   * @param generatorUrl this service's base URL as people reach it, for Alertmanager links
   * @throws AlertRulesException when the rule file is invalid (refuse to start)
   */
  public static AlertService create(
      Config config,
      Vertx vertx,
      StateOwner owner,
      Supplier<JsonObject> sourceStatus,
      BiConsumer<String, byte[]> natsPublisher,
      String generatorUrl,
      Clock clock) {
    List<AlertRule> rules = config.alertRules.map(AlertRules::load).orElseGet(AlertRules::defaults);
    HttpAlertNotifier.Targets targets =
        new HttpAlertNotifier.Targets(
            config.alertWebhooks,
            config.alertmanagerUrl.orElse(null),
            config.alertNatsSubject.orElse(null),
            natsPublisher,
            generatorUrl,
            DEFAULT_RESEND);
    AlertNotifier notifier =
        targets.any()
            ? new HttpAlertNotifier(vertx, targets, RetryPolicy.DEFAULT, clock)
            : AlertNotifier.NONE;
    log.info(
        "alerts: {} rules from {}, notifying {} webhook(s){}{}",
        rules.size(),
        config.alertRules.map(Object::toString).orElse("the built-in set"),
        targets.webhooks().size(),
        targets.alertmanager() != null ? ", Alertmanager" : "",
        targets.natsSubject() != null && natsPublisher != null
            ? ", NATS " + targets.natsSubject()
            : "");
    return new AlertService(owner, rules, notifier, sourceStatus, clock, DEFAULT_RESEND);
  }

  public List<AlertRule> rules() {
    return engine.rules();
  }

  public Silences silences() {
    return silences;
  }

  public AlertNotifier notifier() {
    return notifier;
  }

  /** Rule evaluations so far (approximate off the owner's thread). */
  public long evaluations() {
    return engine.evaluations();
  }

  /**
   * Wall time the state owner's thread has spent evaluating rules on events, in nanoseconds: what
   * alerting costs the ingest path (the clock's ticks are not counted; they run once a second).
   */
  @Override
  public long evaluationNanos() {
    return evaluationNanos;
  }

  /** Alerts firing now (the recent list holds resolved ones only). */
  @Override
  public long firingCount() {
    return board.firingCount();
  }

  /** Events the rules have been evaluated on. */
  public long eventsEvaluated() {
    return eventsSeen;
  }

  /**
   * Cluster mode (call before the owner starts): every replica decides alerts alike, per stream
   * position. Rules are evaluated on each event as it is applied (not per batch: batches differ
   * between replicas), with the event's JetStream store time as the time, and an episode is named
   * by the stream position where it began ({@link AlertEngine#alertIdAt}). What only the clock
   * decides ({@code for} and {@code keep_firing_for} passing, rate windows decaying, source status)
   * is decided by the lease holder alone, whose {@code living_map.alert.firing} / {@code .resolved}
   * events every replica then takes at their stream position ({@link AlertEngine#follow}).
   * Acknowledgements and silences are published to the stream by whichever replica received them
   * (see {@link AlertOperatorEvents}) and applied by every replica when they come back; only the
   * lease holder notifies.
   *
   * @param leaseHeld whether this replica holds the shared-jobs lease now
   * @param operatorLog publishes an operator event (subject, payload) to the shared stream
   */
  public void clusterMode(BooleanSupplier leaseHeld, BiConsumer<String, JsonObject> operatorLog) {
    this.leaseHeld = leaseHeld;
    this.operatorLog = operatorLog;
    owner.observeEachEvent(this::atPosition);
    silences.replicateTo(operatorLog);
  }

  private boolean clustered() {
    return leaseHeld != null;
  }

  /** Whether this replica tells the notifier (in cluster mode: the lease holder only). */
  private boolean notifies() {
    BooleanSupplier held = leaseHeld;
    return held == null || held.getAsBoolean();
  }

  /** Cluster mode, owner thread: one event, as of its stream position. */
  private void atPosition(Event e) {
    long started = System.nanoTime();
    if (e.eventType().startsWith(AlertMarks.PREFIX)) {
      operatorEvent(e);
    } else {
      long now = e.timestamp().toEpochMilli();
      engine.at(e.seq());
      engine.onEvent(e, now);
      if (e.entityId() != null && engine.watchesEntities()) {
        engine.onEntity(e.entityId(), owner.state().get(e.entityId()), now);
      }
      queueApply();
    }
    evaluationNanos += System.nanoTime() - started;
  }

  /** Cluster mode: an alert decision or an operator action, read back from the stream. */
  private void operatorEvent(Event e) {
    JsonObject p = e.payload();
    switch (e.eventType()) {
      case AlertMarks.FIRING, AlertMarks.RESOLVED -> {
        Alert a = AlertOperatorEvents.alert(p);
        if (a == null) {
          return;
        }
        // Changes recorded before this one must not overwrite it later.
        record();
        Alert previous = engine.follow(a);
        if (previous != null && !previous.id().equals(a.id())) {
          board.remove(previous.id());
        }
        if (Alert.FIRING.equals(a.state())) {
          board.put(a);
        } else if (board.remove(a.id()) != null || previous != null) {
          board.resolved(a);
        }
      }
      case AlertMarks.ACKNOWLEDGED -> {
        String id = p.getString("id");
        Instant at = AlertOperatorEvents.instant(p.getValue("acked_at"));
        if (id != null && at != null) {
          board.ack(id, new AlertBoard.Ack(p.getString("acked_by"), at, p.getString("comment")));
        }
      }
      case AlertOperatorEvents.SILENCE_CREATED -> silences.applyCreated(p);
      case AlertOperatorEvents.SILENCE_DELETED -> silences.applyDeleted(p.getString("id"));
      default -> {}
    }
  }

  /**
   * Cluster mode, before the live stream is read: operator actions older than the restored state (a
   * replica started after them), oldest first. Silences are not in the stored state; acks of firing
   * alerts are (on the entity's marks), and are taken from there too.
   */
  public void replayOperatorEvent(String subject, JsonObject payload) {
    owner
        .call(
            a -> {
              switch (subject) {
                case AlertMarks.ACKNOWLEDGED,
                        AlertOperatorEvents.SILENCE_CREATED,
                        AlertOperatorEvents.SILENCE_DELETED ->
                    operatorEvent(AlertOperatorEvents.replayed(subject, payload));
                default -> {}
              }
              return null;
            })
        .join();
  }

  private void queueApply() {
    record();
    if (!toEmit.isEmpty()) {
      scheduleApply();
    }
  }

  /** Owner thread: one command that applies what the engine changed, unless one is queued. */
  private void scheduleApply() {
    if (!applyQueued) {
      applyQueued = true;
      owner.call(
          a -> {
            applyQueued = false;
            apply(a);
            return null;
          });
    }
  }

  @Override
  public void onEvents(List<Event> batch) {
    if (clustered()) {
      // Evaluated per event, as each was applied (atPosition).
      eventsSeen += batch.size();
      return;
    }
    long started = System.nanoTime();
    evaluate(batch);
    eventsSeen += batch.size();
    evaluationNanos += System.nanoTime() - started;
  }

  private void evaluate(List<Event> batch) {
    long now = clock.millis();
    boolean entities = engine.watchesEntities();
    for (int i = 0; i < batch.size(); i++) {
      Event e = batch.get(i);
      if (e.eventType().startsWith(AlertMarks.PREFIX)) {
        continue;
      }
      engine.onEvent(e, now);
      if (entities && e.entityId() != null) {
        changed.add(e.entityId());
      }
    }
    if (!changed.isEmpty()) {
      for (String id : changed) {
        engine.onEntity(id, owner.state().get(id), now);
      }
      // A poll's batch grows the set to every entity, and clear() walks the whole table: on
      // every later batch that was a tenth of the owner's CPU at 100x (JFR, 2026-12-06).
      if (changed.size() > SMALL_BATCH) {
        changed = new LinkedHashSet<>();
      } else {
        changed.clear();
      }
    }
    if (engine.hasChanges()) {
      scheduleApply();
    }
  }

  /**
   * Starts: first looks at the state once (see {@link #adopt}), then runs the clock, one tick every
   * {@code interval} on a daemon thread that only hands over to the owner.
   */
  public synchronized void start(Duration interval) {
    if (ticker != null) {
      return;
    }
    adopt();
    ticker = new AlertClock(interval, this::tick);
  }

  /**
   * Takes over the state as it is (restored from a stored snapshot and history, or built before the
   * alerts started): alerts that the state shows but this service did not raise are resolved
   * ({@code living_map.alert.resolved} with {@code reason: "restart"}), and every entity is
   * evaluated once, so a condition that still holds fires again as a new alert after its {@code
   * for}. Called by {@link #start}.
   */
  public CompletableFuture<Void> adopt() {
    return owner.call(
        a -> {
          long now = clock.millis();
          if (clustered()) {
            adoptMarks(a);
            engine.at(a.state().seq());
          }
          for (Entity e : List.copyOf(a.state().entities())) {
            JsonArray marks = e.data().getJsonArray("alerts");
            if (clustered() || marks == null || marks.isEmpty()) {
              continue;
            }
            for (Object o : marks.copy()) {
              if (o instanceof JsonObject m
                  && m.getString("id") != null
                  && !board.isActive(m.getString("id"))) {
                a.emit(
                    AlertMarks.RESOLVED,
                    e.id(),
                    e.type(),
                    AlertOperatorEvents.resolvedOnRestart(m, e, clock.instant()));
              }
            }
          }
          for (Entity e : List.copyOf(a.state().entities())) {
            if (engine.watches(e.type())) {
              engine.onEntity(e.id(), e, now);
            }
          }
          apply(a);
          return null;
        });
  }

  /**
   * Cluster mode: the alerts the restored state shows firing are the ones the stream decided (the
   * replicas that ran meanwhile hold them with these ids): taken as they are, acks included.
   */
  private void adoptMarks(StateOwner.Access a) {
    for (Entity e : List.copyOf(a.state().entities())) {
      JsonArray marks = e.data().getJsonArray("alerts");
      if (marks == null) {
        continue;
      }
      for (Object o : marks) {
        if (!(o instanceof JsonObject m)) {
          continue;
        }
        Alert al = AlertOperatorEvents.fromMark(m, e.id(), e.type());
        if (al == null) {
          continue;
        }
        engine.follow(al);
        board.put(al);
        Instant at = AlertOperatorEvents.instant(m.getValue("acked_at"));
        if (Boolean.TRUE.equals(m.getValue("acked")) && at != null) {
          board.ack(al.id(), new AlertBoard.Ack(m.getString("acked_by"), at, null));
        }
      }
    }
  }

  /** One tick of the clock, on the owner's thread; completes when its changes are applied. */
  public CompletableFuture<Void> tick() {
    JsonObject sources = null;
    if (sourceStatus != null) {
      try {
        sources = sourceStatus.get();
      } catch (RuntimeException e) {
        log.warn("source status unavailable for alert rules: {}", e.toString());
      }
    }
    JsonObject s = sources;
    return owner.call(
        a -> {
          long now = clock.millis();
          if (clustered()) {
            if (!notifies()) {
              // The lease holder decides what the clock decides; the others follow its events.
              return null;
            }
            engine.at(a.state().seq());
          }
          engine.tick(now, s);
          apply(a);
          if (now - lastResend >= resendInterval.toMillis()) {
            lastResend = now;
            List<Alert> firing = new ArrayList<>();
            for (Alert al : board.active()) {
              if (Alert.FIRING.equals(al.state()) && !silences.silenced(al)) {
                firing.add(al);
              }
            }
            notifier.stillFiring(firing);
          }
          return null;
        });
  }

  /**
   * On the owner's thread: records what the engine changed in the maps the API reads, at once (in
   * cluster mode, before the next event is evaluated), and keeps the changes to emit.
   */
  private void record() {
    for (AlertEngine.Change c : engine.drain()) {
      Alert n = c.alert();
      Alert p = c.previous();
      if (p == null) {
        board.put(n);
        continue;
      }
      if (Alert.FIRING.equals(n.state())) {
        board.put(n);
        toEmit.add(c);
        continue;
      }
      board.remove(n.id());
      if (!Alert.FIRING.equals(p.state())) {
        continue;
      }
      board.resolved(n);
      toEmit.add(c);
    }
  }

  /** On the owner's thread: publishes, emits and notifies what the engine changed. */
  private void apply(StateOwner.Access a) {
    record();
    boolean notify = notifies();
    for (AlertEngine.Change c : toEmit) {
      Alert n = c.alert();
      if (Alert.FIRING.equals(n.state())) {
        a.emit(AlertMarks.FIRING, n.entityId(), n.entityType(), n.toJson());
        if (notify && !silences.silenced(n)) {
          notified.add(n.id());
          notifier.firing(n);
        }
        continue;
      }
      a.emit(AlertMarks.RESOLVED, n.entityId(), n.entityType(), n.toJson());
      if (notified.remove(n.id())) {
        notifier.resolved(n);
      }
    }
    toEmit.clear();
  }

  /** Every alert pending, firing, or resolved recently; firing first, then newest first. */
  public List<Alert> alerts() {
    return board.all();
  }

  public Optional<Alert> alert(String id) {
    return board.find(id);
  }

  /**
   * Acknowledges an alert: marked in the API, on the entity ({@code acked} in its {@code alerts}
   * item) and in history ({@code living_map.alert.acknowledged}). Completes with the alert, or
   * empty when no alert has that id.
   */
  public CompletableFuture<Optional<Alert>> ack(String id, String by, String comment) {
    return owner.call(
        a -> {
          Optional<Alert> al = alert(id);
          if (al.isEmpty()) {
            return al;
          }
          Instant now = clock.instant();
          board.ack(id, new AlertBoard.Ack(by, now, comment));
          Alert x = al.get();
          JsonObject ack = AlertOperatorEvents.acknowledged(x, by, now, comment);
          BiConsumer<String, JsonObject> log = operatorLog;
          if (log != null) {
            // Cluster mode: whichever replica received it, every replica applies it from the
            // stream (with the entity, so the entity's mark shows it too).
            log.accept(
                AlertMarks.ACKNOWLEDGED,
                ack.put("entity_id", x.entityId()).put("entity_type", x.entityType()));
            return al;
          }
          a.emit(AlertMarks.ACKNOWLEDGED, x.entityId(), x.entityType(), ack);
          return al;
        });
  }

  /** An alert as the API shows it: with its acknowledgement and the silences that cover it. */
  public JsonObject view(Alert a) {
    return board.view(a, silences);
  }

  @Override
  public synchronized void close() {
    if (ticker != null) {
      ticker.close();
      ticker = null;
    }
  }
}
