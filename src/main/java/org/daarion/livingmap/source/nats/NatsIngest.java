package org.daarion.livingmap.source.nats;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.NatsMode;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.Subject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes events from NATS into the {@link EventIntake}, in the mode {@link Config#natsMode} names.
 *
 * <ul>
 *   <li>{@link NatsMode#CORE}: plain subscriptions to every configured subject on one dispatcher
 *       thread. The {@code Nats-Msg-Id} header, when present, becomes the event's msgId. At most
 *       once: messages published while disconnected, or dropped when the intake falls behind
 *       (counted in {@link State#slowConsumerDrops()}), are lost.
 *   <li>{@link NatsMode#JETSTREAM}: a durable pull consumer ({@link Config#natsDurable}) on the
 *       stream {@link Config#natsStream}, created when absent if {@link Config#natsCreateStream}.
 *       At least once: each event carries an {@link org.daarion.livingmap.event.Acker} that must be
 *       called after the event is stored (any thread); events not acknowledged within AckWait come
 *       again with the same msgId ({@link JetStreamMsgIds}, {@code js:<epoch>:<streamSeq>}). A
 *       stream deleted and recreated meanwhile is followed: its events get the new epoch's ids.
 * </ul>
 *
 * <p>{@link #start()} returns at once: the connection is made in the background and retried
 * forever, so the service starts while NATS is down, and reconnects by itself after. The intake is
 * called on the ingest's own thread (dispatcher or pull thread) and may block it for backpressure.
 * No exception from the intake stops ingestion: it is counted and logged.
 *
 * <p>Thread-safe. Not restartable: after {@link #close()} make a new one (a JetStream consumer
 * resumes where the last acknowledged message left it).
 */
public final class NatsIngest implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NatsIngest.class);

  /**
   * What health and metrics read.
   *
   * @param status the connection's state
   * @param mode core or jetstream
   * @param lastError the last connection, server or pull error (it stays after recovery), or null
   * @param lastErrorAt when it happened, or null
   * @param received messages taken from NATS (JetStream redeliveries count again)
   * @param acked JetStream acknowledgements sent (0 in core mode)
   * @param slowConsumerDrops core mode: messages the client dropped because the intake fell behind
   * @param reconnects successful reconnects after a drop
   * @param errors intake failures, pull failures and failed acks
   * @param ready connected and ingesting (see {@link NatsIngest#isReady()})
   */
  public record State(
      NatsStatus status,
      boolean ready,
      NatsMode mode,
      String lastError,
      Instant lastErrorAt,
      long received,
      long acked,
      long slowConsumerDrops,
      long reconnects,
      long errors) {
    public boolean connected() {
      return status == NatsStatus.CONNECTED;
    }
  }

  private final NatsMode mode;
  private final NatsTuning tuning;
  private final NatsConnector connector;
  private final IngestCounters counters = new IngestCounters();
  private final CoreSubscriber core;
  private final JetStreamPuller puller;
  private boolean started;
  private boolean closed;

  /** With the production {@link NatsTuning#DEFAULTS}. */
  public NatsIngest(Config config, EventIntake intake) {
    this(config, intake, NatsTuning.DEFAULTS);
  }

  /**
   * @throws IllegalArgumentException when {@code NATS_URL} is not set
   */
  public NatsIngest(Config config, EventIntake intake, NatsTuning tuning) {
    // The client's buffers hold event data too: both bounded by LIVING_MAP_NATS_BUFFER_BYTES.
    tuning =
        tuning.toBuilder()
            .pendingLimits(
                tuning.pendingMessages(), Math.min(tuning.pendingBytes(), config.natsBufferBytes))
            .fetchBytes(Math.min(tuning.fetchBytes(), config.natsBufferBytes))
            .build();
    String url =
        config.natsUrl.orElseThrow(
            () -> new IllegalArgumentException("NATS_URL is not set: no NATS to ingest from"));
    this.mode = config.natsMode;
    this.tuning = tuning;
    List<String> configured = config.streamSubjects();
    List<String> subjects = Subject.minimalCover(configured);
    if (subjects.size() < configured.size()) {
      log.info("NATS subjects {} reduced to {} (the others are covered)", configured, subjects);
    }
    this.connector = new NatsConnector("living-map-ingest", url, tuning);
    if (mode == NatsMode.CORE) {
      this.core = new CoreSubscriber(subjects, intake, tuning, counters);
      this.puller = null;
    } else {
      this.core = null;
      this.puller =
          new JetStreamPuller(
              connector,
              config.natsStream,
              config.natsDurable,
              subjects,
              config.natsCreateStream,
              intake,
              tuning,
              counters);
    }
  }

  /** Starts connecting and, once connected, ingesting; returns at once. Call once. */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("NatsIngest is closed; create a new one");
    }
    if (started) {
      throw new IllegalStateException("NatsIngest already started");
    }
    started = true;
    connector.start(
        () -> {
          if (core != null) {
            core.subscribe(connector.connection());
          } else {
            puller.start();
          }
        });
  }

  /**
   * Stops ingesting. JetStream: stops pulling, waits up to {@link NatsTuning#closeAckGrace()} for
   * events already handed on to be acknowledged (so stop the history writer after this returns, or
   * flush it first), then closes the connection. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (puller != null) {
      puller.stop();
      try {
        if (!counters.awaitSettled(tuning.closeAckGrace())) {
          log.info(
              "closing NATS with {} JetStream events not yet acknowledged: they will be delivered"
                  + " again",
              counters.outstanding());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    connector.close(Duration.ofSeconds(2));
    if (core != null) {
      core.close();
    }
  }

  /** Core mode: the byte budget between the NATS dispatcher and the intake; else null. */
  public org.daarion.livingmap.event.ByteBudget coreBudget() {
    return core == null ? null : core.budget();
  }

  public State state() {
    return new State(
        connector.status(),
        isReady(),
        mode,
        connector.lastError(),
        connector.lastErrorAt(),
        counters.received.get(),
        counters.acked.get(),
        slowConsumerDrops(),
        connector.reconnects(),
        errors());
  }

  /**
   * True when connected and ingesting: core subscriptions registered, or the JetStream consumer
   * bound. Health may report "degraded" while false.
   */
  public boolean isReady() {
    if (!connector.isConnected()) {
      return false;
    }
    return core != null ? core.isSubscribed() : puller.isBound();
  }

  /**
   * Looks message ids up in history: whether any of {@code msgIds} was stored at or after {@code
   * since}. Called on the pull thread (it may block), once per stream epoch.
   */
  @FunctionalInterface
  public interface LegacyIds {
    boolean anyStored(List<String> msgIds, Instant since) throws Exception;
  }

  /**
   * JetStream mode, single instance: lets the ingest tell whether the stream it reads was being
   * ingested before message ids carried the epoch (then it keeps the old form for that stream, so
   * that history's dedupe on the id still holds for its redeliveries). Call before {@link #start}.
   * Cluster mode does not need it: there history's unique {@code (epoch, seq)} is the stream
   * position, which an old-form row of the same message has too.
   */
  public void legacyIds(LegacyIds probe) {
    if (puller != null) {
      puller.legacyIds(probe);
    }
  }

  /**
   * JetStream mode: the epoch ({@code <stream>-<created ms>}) of the stream the ingest is bound to,
   * or null (core mode, or not bound yet).
   */
  public String jetStreamEpoch() {
    return puller == null ? null : puller.epoch();
  }

  public NatsMode mode() {
    return mode;
  }

  public long received() {
    return counters.received.get();
  }

  public long acked() {
    return counters.acked.get();
  }

  public long slowConsumerDrops() {
    return core == null ? 0 : core.droppedCount();
  }

  /** Times the client reported a slow consumer (episodes, not messages). */
  public long slowConsumerEvents() {
    return connector.slowConsumerEvents();
  }

  public long reconnects() {
    return connector.reconnects();
  }

  public long errors() {
    return counters.handlerErrors.get() + counters.pullErrors.get() + counters.ackFailures.get();
  }

  /** JetStream deliveries that were redeliveries (delivered count above 1). */
  public long redelivered() {
    return counters.redelivered.get();
  }

  /** JetStream: times the consumer was found missing and recreated. */
  public long consumerRecoveries() {
    return counters.consumerRecoveries.get();
  }

  /** JetStream: events handed to the intake and not yet acknowledged. */
  public long unacknowledged() {
    return counters.outstanding();
  }
}
