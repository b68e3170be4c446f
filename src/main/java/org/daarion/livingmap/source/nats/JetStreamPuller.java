package org.daarion.livingmap.source.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StreamInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.Subject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JetStream mode: one dedicated thread pulls batches from a durable pull consumer and hands each
 * message to the intake; the message is acknowledged by the {@link Acker} the history writer calls
 * after commit (at-least-once: a message not acknowledged within AckWait is delivered again, with
 * the same msgId, and history deduplicates it).
 *
 * <p>The thread survives everything but {@link #stop()}: while disconnected it waits for the
 * connection; any failure (server restart, stream or consumer deleted, API errors) drops the
 * subscription, backs off, and sets stream, consumer and subscription up again. While idle it
 * checks every {@code consumerCheckInterval} that the consumer still exists.
 *
 * <p>Each message's id is {@code js:<epoch>:<seq>} ({@link JetStreamMsgIds}). The stream's epoch is
 * read at set-up and again after every non-empty pull; a stream recreated in between (same name, so
 * pulls by the consumer's name reach the new one) drops the subscription, and the new stream is
 * ingested from its start under its own epoch.
 *
 * <p>One consumer per service: with a single stream subject it filters on it, otherwise it takes
 * the whole stream unfiltered (nats-server 2.9 allows one filter subject per consumer) and
 * acknowledges at once, without ingesting, messages on stream subjects not configured here.
 */
final class JetStreamPuller {
  private static final Logger log = LoggerFactory.getLogger(JetStreamPuller.class);

  private final NatsConnector connector;
  private final String stream;
  private final String durable;
  private final List<String> subjects;
  private final JetStreamSetup setup;
  private final EventIntake intake;
  private final NatsTuning tuning;
  private final IngestCounters counters;
  private final CountDownLatch stopSignal = new CountDownLatch(1);
  private volatile boolean running;
  private Thread thread;
  // Owned by the pull thread.
  private JetStreamSubscription sub;
  private volatile boolean bound;

  /**
   * The epoch of the stream the subscription is bound to ({@link JetStreamMsgIds#epoch}), read when
   * it was set up and checked again after every non-empty pull: a stream deleted and recreated
   * under the same name keeps the consumer's name (this or another replica recreates it), so pulls
   * by name would otherwise bring the new stream's messages under the old epoch's ids.
   */
  private volatile String epoch;

  /** Set before start, or null: see {@link NatsIngest.LegacyIds}. */
  private volatile NatsIngest.LegacyIds legacyIds;

  /** The epoch whose messages keep ids of the form before issue 17, or null. Pull thread only. */
  private String legacyEpoch;

  /** The epoch {@link #legacyEpoch} was last decided for. Pull thread only. */
  private String legacyDecidedFor;

  private long lastConsumerCheck;
  private int failures;

  JetStreamPuller(
      NatsConnector connector,
      String stream,
      String durable,
      List<String> subjects,
      boolean createStream,
      EventIntake intake,
      NatsTuning tuning,
      IngestCounters counters) {
    this.connector = connector;
    this.stream = stream;
    this.durable = durable;
    this.subjects = subjects;
    this.setup = new JetStreamSetup(stream, durable, subjects, createStream, tuning);
    this.intake = intake;
    this.tuning = tuning;
    this.counters = counters;
  }

  synchronized void start() {
    if (thread != null) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "nats-jetstream-pull-" + durable);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Stops pulling and waits for the thread. A fetch in progress is let finish (at most the fetch
   * wait) so that what it brings is released for immediate redelivery; interrupted instead, its
   * messages would sit in the client unacknowledged and come back to the next instance only after
   * AckWait. The thread is interrupted only if it is still blocked after that (a full state queue).
   */
  void stop() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    stopSignal.countDown();
    if (t == null) {
      return;
    }
    try {
      t.join(tuning.fetchWait().toMillis() + 1_000);
      if (t.isAlive()) {
        t.interrupt();
        t.join(5_000);
      }
    } catch (InterruptedException e) {
      t.interrupt();
      Thread.currentThread().interrupt();
    }
    if (t.isAlive()) {
      log.warn("JetStream pull thread did not stop in time");
      return;
    }
    releaseBuffered();
  }

  /**
   * After the pull thread ended: a pull can still be open at the server (its fetch ended on an
   * earlier pull's late end-of-pull status), and what it delivers sits in the client's buffer.
   * Released here for immediate redelivery instead of coming back only after AckWait.
   */
  private void releaseBuffered() {
    JetStreamSubscription s = sub;
    if (s == null) {
      return;
    }
    long end = System.nanoTime() + tuning.fetchWait().toNanos() + 100_000_000L;
    try {
      while (System.nanoTime() < end) {
        Message m = s.nextMessage(Duration.ofMillis(50));
        if (m != null && m.isJetStream()) {
          m.nak();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.debug("releasing buffered JetStream messages failed: {}", e.toString());
    }
  }

  /** True while a pull subscription is bound to the consumer. */
  boolean isBound() {
    return bound && running;
  }

  private void run() {
    log.info(
        "JetStream ingest: stream {}, durable consumer {}, subjects {}", stream, durable, subjects);
    while (running) {
      try {
        if (!connector.awaitConnected(Duration.ofSeconds(1))) {
          continue;
        }
        if (sub == null) {
          setUp();
        }
        List<Message> batch = fetch();
        if (batch.isEmpty()) {
          checkConsumerWhenDue();
          continue;
        }
        failures = 0;
        if (!sameEpoch()) {
          // Recreated since the set-up: which of these came from which stream cannot be told.
          // Released; the old stream's are gone with it, the new one's come back from its start.
          releaseUnhandled(batch);
          counters.consumerRecoveries.incrementAndGet();
          dropSubscription();
          continue;
        }
        for (int i = 0; i < batch.size(); i++) {
          if (!running || !handle(batch.get(i))) {
            releaseUnhandled(batch.subList(i, batch.size()));
            return;
          }
        }
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
        // An interrupt not from stop(): keep going.
      } catch (Throwable e) {
        if (!running) {
          return;
        }
        if (e instanceof Error) {
          // Logged in full; the loop carries on with a clean subscription.
          log.error("JetStream pull loop hit {}", e.toString(), e);
        }
        failed(e);
      }
    }
  }

  private void failed(Throwable e) {
    failures++;
    long n = counters.pullErrors.incrementAndGet();
    connector.recordError("jetstream: " + e);
    if (failures == 1 || n <= 10 || Long.bitCount(n) == 1) {
      log.warn(
          "JetStream pull on {}/{} failed ({} so far): {}; setting up again",
          stream,
          durable,
          n,
          e.toString());
    }
    dropSubscription();
    Duration pause =
        NatsConnector.backoff(failures, tuning.reconnectWaitMin(), tuning.reconnectWaitMax());
    try {
      stopSignal.await(pause.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException ie) {
      // stop() interrupts; the loop re-checks running
    }
  }

  /** Ensures stream and consumer, then binds a pull subscription. */
  private void setUp() throws Exception {
    Connection conn = connector.connection();
    JetStreamManagement jsm = conn.jetStreamManagement();
    String before = setup.ensureStream(jsm);
    ConsumerConfiguration cc = setup.ensureConsumer(jsm);
    // The consumer just ensured belongs to the stream read before it only if that stream is still
    // the same one now.
    if (!before.equals(setup.currentEpoch(jsm))) {
      throw new IllegalStateException("JetStream stream " + stream + " recreated during set-up");
    }
    if (epoch != null && !epoch.equals(before)) {
      log.warn(
          "JetStream stream {} was recreated (epoch {} -> {}): ingesting the new stream from its"
              + " start",
          stream,
          epoch,
          before);
    }
    decideIdForm(jsm, before);
    epoch = before;
    String filter = cc.getFilterSubject();
    sub =
        conn.jetStream()
            .subscribe(
                filter == null || filter.isEmpty() ? null : filter,
                PullSubscribeOptions.bind(stream, durable));
    lastConsumerCheck = System.nanoTime();
    bound = true;
    log.info("JetStream ingest bound to {}/{}", stream, durable);
  }

  void legacyIds(NatsIngest.LegacyIds probe) {
    this.legacyIds = probe;
  }

  /**
   * Whether the epoch {@code current} is the one that was being ingested when this service was
   * upgraded from ids without the epoch: history then holds rows of it under {@code
   * js:<stream>:<seq>}, and a redelivery (after a crash, or a consumer made anew) under the new
   * form would be stored twice. Such an epoch keeps the old form until the stream is recreated.
   * Told by a few point look-ups of old-form ids around the stream's first sequence and the
   * consumer's ack floor, in rows written since the stream was created (an older stream's rows of
   * the same ids are older than that). Once per epoch; a failed look-up means the new form.
   */
  private void decideIdForm(JetStreamManagement jsm, String current) {
    NatsIngest.LegacyIds probe = legacyIds;
    if (probe == null || current.equals(legacyDecidedFor)) {
      return;
    }
    legacyDecidedFor = current;
    legacyEpoch = null;
    try {
      StreamInfo info = jsm.getStreamInfo(stream);
      long firstSeq = Math.max(1, info.getStreamState().getFirstSequence());
      long floor = jsm.getConsumerInfo(stream, durable).getAckFloor().getStreamSequence();
      List<String> ids = new java.util.ArrayList<>();
      for (long s = firstSeq; s < firstSeq + LEGACY_PROBE; s++) {
        ids.add(JetStreamMsgIds.PREFIX + stream + ":" + s);
      }
      for (long s = Math.max(firstSeq + LEGACY_PROBE, floor - LEGACY_PROBE + 1); s <= floor; s++) {
        ids.add(JetStreamMsgIds.PREFIX + stream + ":" + s);
      }
      if (probe.anyStored(ids, info.getCreateTime().toInstant())) {
        legacyEpoch = current;
        log.info(
            "JetStream stream {} (epoch {}) was ingested before ids carried the epoch: its"
                + " messages keep ids js:{}:<seq> until the stream is recreated",
            stream,
            current,
            stream);
      }
    } catch (Exception e) {
      log.warn("could not look for old-form ids of {} in history: {}", stream, e.toString());
    }
  }

  /** Old-form ids looked up at each end (the stream's start, the consumer's ack floor). */
  private static final int LEGACY_PROBE = 64;

  /** The message id of {@code seq} in the epoch the subscription is bound to. */
  private String msgId(String boundEpoch, long seq) {
    return boundEpoch.equals(legacyEpoch)
        ? JetStreamMsgIds.PREFIX + stream + ":" + seq
        : JetStreamMsgIds.of(boundEpoch, seq);
  }

  /**
   * Whether the stream is still the one the subscription was set up on: if its creation time is
   * unchanged after a pull, every message of the pull came from it. One request per non-empty pull.
   */
  private boolean sameEpoch() throws Exception {
    String now;
    try {
      now = setup.currentEpoch(connector.connection().jetStreamManagement());
    } catch (JetStreamApiException e) {
      if (JetStreamSetup.isNotFound(e, JetStreamSetup.STREAM_NOT_FOUND)) {
        log.warn("JetStream stream {} disappeared; setting up again", stream);
        return false;
      }
      throw e;
    }
    return now.equals(epoch);
  }

  /** The epoch of the stream the ingest is bound to, or null before it is. */
  String epoch() {
    return epoch;
  }

  private void checkConsumerWhenDue() throws Exception {
    long now = System.nanoTime();
    if (now - lastConsumerCheck < tuning.consumerCheckInterval().toNanos()) {
      return;
    }
    lastConsumerCheck = now;
    try {
      connector.connection().jetStreamManagement().getConsumerInfo(stream, durable);
    } catch (JetStreamApiException e) {
      if (JetStreamSetup.isNotFound(e, JetStreamSetup.CONSUMER_NOT_FOUND)
          || JetStreamSetup.isNotFound(e, JetStreamSetup.STREAM_NOT_FOUND)) {
        counters.consumerRecoveries.incrementAndGet();
        log.warn("JetStream consumer {}/{} disappeared ({}); recreating it", stream, durable, e);
        dropSubscription();
        return;
      }
      throw e;
    }
  }

  /** Hands one message to the intake; false when interrupted (stop). */
  private boolean handle(Message m) {
    counters.received.incrementAndGet();
    if (!m.isJetStream()) {
      return true;
    }
    String subject = m.getSubject();
    if (!Subject.matchesAny(subjects, subject)) {
      // On the stream but not configured here (a stream shared with other subjects).
      counters.skipped.incrementAndGet();
      ackQuietly(m);
      return true;
    }
    long seq;
    try {
      seq = m.metaData().streamSequence();
      if (m.metaData().deliveredCount() > 1) {
        counters.redelivered.incrementAndGet();
      }
    } catch (RuntimeException e) {
      counters.handlerErrors.incrementAndGet();
      log.warn("JetStream message on {} without metadata: {}", subject, e.toString());
      return true;
    }
    String at = epoch;
    OnceAcker acker =
        new OnceAcker(m.getConnection(), m.getReplyTo(), counters, () -> at.equals(epoch));
    counters.handedOff();
    try {
      if (!intake.accept(subject, m.getData(), msgId(at, seq), acker, storedAt(m))) {
        acker.abandon();
        return false;
      }
    } catch (RuntimeException e) {
      // Not acknowledged: JetStream delivers it again after AckWait.
      acker.abandon();
      long n = counters.handlerErrors.incrementAndGet();
      if (n <= 10 || Long.bitCount(n) == 1) {
        log.error("JetStream message {}:{} failed in the intake [{} so far]", stream, seq, n, e);
      }
    }
    return true;
  }

  /** When JetStream stored {@code m}, or null when its metadata does not say. */
  static java.time.Instant storedAt(Message m) {
    try {
      java.time.ZonedDateTime t = m.metaData().timestamp();
      // Microseconds: what PostgreSQL keeps, so a state rebuilt from history matches.
      return t == null ? null : t.toInstant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * One pull of at most {@code fetchBatch} messages and {@code fetchBytes} bytes: the server stops
   * at either, so a pull of large messages cannot bring more than the budget into the heap (jnats'
   * {@code fetch} bounds the count only). The bytes are raised to the server's largest message,
   * else a message larger than them would never be delivered. Ends early when the server says the
   * pull is over (jnats answers {@code null} for its end-of-pull status).
   */
  private List<Message> fetch() throws InterruptedException {
    long maxPayload = connector.connection().getServerInfo().getMaxPayload();
    // The server counts a message's subject, headers and reply subject too.
    long bytes = Math.max(tuning.fetchBytes(), maxPayload + 8192);
    Duration wait = tuning.fetchWait();
    sub.pull(
        io.nats.client.PullRequestOptions.builder(tuning.fetchBatch())
            .maxBytes(bytes)
            .expiresIn(wait)
            .build());
    List<Message> out = new java.util.ArrayList<>();
    // A little past the pull's expiry, so its end-of-pull status is read here, not by the next.
    long deadline = System.nanoTime() + wait.toNanos() + 100_000_000L;
    while (out.size() < tuning.fetchBatch()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      Message m = sub.nextMessage(Duration.ofNanos(left));
      if (m == null) {
        break;
      }
      out.add(m);
    }
    return out;
  }

  /** Asks for immediate redelivery of messages fetched but not handed on. */
  private static void releaseUnhandled(List<Message> rest) {
    for (Message m : rest) {
      try {
        m.nak();
      } catch (RuntimeException e) {
        return; // connection gone: AckWait redelivers them
      }
    }
  }

  private void dropSubscription() {
    JetStreamSubscription s = sub;
    sub = null;
    bound = false;
    if (s != null) {
      try {
        if (s.isActive()) {
          s.unsubscribe();
        }
      } catch (RuntimeException e) {
        log.debug("unsubscribe failed: {}", e.toString());
      }
    }
  }

  private static void ackQuietly(Message m) {
    try {
      m.ack();
    } catch (RuntimeException e) {
      log.debug("ack failed: {}", e.toString());
    }
  }
}
