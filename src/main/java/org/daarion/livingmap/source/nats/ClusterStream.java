package org.daarion.livingmap.source.nats;

import io.nats.client.Connection;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.PublishOptions;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.Subject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's live path: the shared JetStream stream as every replica sees it.
 *
 * <ul>
 *   <li><b>Identity.</b> {@link #connect} makes sure the stream exists (creating it, or adding
 *       {@link Config#CLUSTER_SUBJECTS} to it, when allowed) and returns its {@link #epoch()}:
 *       {@code <stream>-<creation time in ms>}, identical on every replica, new when the stream is
 *       recreated (its sequences start again at 1).
 *   <li><b>Epoch change.</b> A stream deleted and recreated while this runs is noticed (its
 *       creation time is read again whenever the live consumer is made, whenever its consumer
 *       sequence does not follow on, which is what a consumer made anew by jnats or the server
 *       looks like, and every {@link #STALL_CHECK}): the {@link EpochListener} is told before any
 *       message of the new stream is handed on, and the new stream is read from its start.
 *   <li><b>Live events.</b> {@link #start} reads the whole stream in order with an ordered
 *       (ephemeral, unacknowledged) consumer from a given stream sequence on, on one thread, and
 *       hands each message on a configured subject to the intake with the message id {@code
 *       js:<epoch>:<seq>} ({@link JetStreamMsgIds}) (so its position is its stream sequence) and
 *       JetStream's store time as its timestamp. Nothing is acknowledged: history is written by the
 *       shared durable consumer ({@link NatsIngest}), not here. The ordered consumer is made again,
 *       from the sequence after the last one delivered, after every reconnect (a restarted server
 *       may have lost it, being ephemeral) and whenever it stays silent for {@link #STALL_CHECK}
 *       while the stream holds newer messages.
 *   <li><b>Derived events.</b> {@link #publish} puts an event this service made (reconciliation,
 *       alerts) on the stream, asynchronously, with a {@code Nats-Msg-Id} so a retry is stored
 *       once; every replica applies it when it comes back.
 * </ul>
 *
 * <p>Lag: {@link #pending()} is JetStream's count of stream messages after the last one delivered
 * here (from that message's metadata), a number read without a request.
 */
public final class ClusterStream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterStream.class);

  /** Told of a new epoch on the live thread, before the first message of it is handed on. */
  @FunctionalInterface
  public interface EpochListener {
    void epochChanged(String previous, String current);
  }

  private final String stream;
  private final List<String> subjects;
  private final boolean createStream;
  private final NatsTuning tuning;
  private final String replicaId;
  private final String url;
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong publishFailures = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private volatile Connection connection;
  private volatile String epoch;
  private volatile long lastDelivered;
  private volatile long pending;
  private volatile boolean running;
  private volatile String lastError;
  private volatile boolean recreate;
  private volatile EpochListener epochListener = (previous, current) -> {};
  private final AtomicLong epochChanges = new AtomicLong();
  // Owned by the live thread: the consumer sequence of the last message read from the current
  // ordered consumer, 0 right after it was made.
  private long lastConsumerSeq;
  private Thread thread;

  /** How long the live consumer may stay silent while the stream has newer messages. */
  static final Duration STALL_CHECK = Duration.ofSeconds(5);

  public ClusterStream(Config config, NatsTuning tuning) {
    this.url =
        config.natsUrl.orElseThrow(
            () -> new IllegalArgumentException("cluster mode needs NATS_URL"));
    this.stream = config.natsStream;
    this.subjects = Subject.minimalCover(config.streamSubjects());
    this.createStream = config.natsCreateStream;
    this.tuning =
        tuning.toBuilder()
            .fetchBytes(Math.min(tuning.fetchBytes(), config.natsBufferBytes))
            .build();
    this.replicaId = config.replicaId.orElse("replica");
  }

  /**
   * Connects (waiting at most {@code timeout}), makes sure the stream exists and covers the
   * subjects, and returns its epoch. Blocks: call at start-up, off the event loops.
   *
   * @throws IllegalStateException when NATS cannot be reached in time or the stream is unusable
   */
  public String connect(Duration timeout) {
    Options options =
        new Options.Builder()
            .servers(url.split(","))
            .connectionName("living-map-live-" + replicaId)
            .connectionTimeout(tuning.connectionTimeout())
            .maxReconnects(-1)
            .reconnectWait(tuning.reconnectWaitMin())
            .pingInterval(tuning.pingInterval())
            .connectionListener(
                (conn, event) -> {
                  if (event == io.nats.client.ConnectionListener.Events.RECONNECTED) {
                    // An ordered consumer is ephemeral: a restarted server may have lost it.
                    recreate = true;
                  }
                })
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (connection == null) {
          connection = Nats.connect(options);
        }
        StreamInfo info = ensureStream(connection.jetStreamManagement());
        epoch = epochOf(info);
        log.info(
            "cluster mode: replica {} on JetStream stream {} (epoch {}, last sequence {})",
            replicaId,
            stream,
            epoch,
            info.getStreamState().getLastSequence());
        return epoch;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while connecting to NATS", e);
      } catch (IllegalStateException e) {
        throw e;
      } catch (Exception e) {
        last = e;
        try {
          Thread.sleep(tuning.reconnectWaitMin().toMillis()); // a retry pause at start-up
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while connecting to NATS", ie);
        }
      }
    }
    throw new IllegalStateException(
        "cluster mode: JetStream stream "
            + stream
            + " at "
            + url
            + " not reachable within "
            + timeout
            + ": "
            + last);
  }

  private StreamInfo ensureStream(JetStreamManagement jsm) throws Exception {
    StreamInfo info;
    try {
      info = jsm.getStreamInfo(stream);
    } catch (JetStreamApiException e) {
      if (e.getErrorCode() != 404) {
        throw e;
      }
      if (!createStream) {
        throw new IllegalStateException(
            "JetStream stream "
                + stream
                + " does not exist and LIVING_MAP_NATS_CREATE_STREAM is false: create it to cover "
                + subjects);
      }
      try {
        return jsm.addStream(tuning.streamConfiguration(stream, subjects));
      } catch (JetStreamApiException race) {
        // Another replica created it first.
        return jsm.getStreamInfo(stream);
      }
    }
    List<String> have = info.getConfiguration().getSubjects();
    if (!Subject.coveredByAny(Config.CLUSTER_SUBJECTS, have)) {
      List<String> more = new ArrayList<>(have);
      more.add(Config.CLUSTER_SUBJECTS);
      try {
        info =
            jsm.updateStream(
                StreamConfiguration.builder(info.getConfiguration()).subjects(more).build());
        log.info("added {} to JetStream stream {}", Config.CLUSTER_SUBJECTS, stream);
      } catch (JetStreamApiException e) {
        throw new IllegalStateException(
            "cluster mode: JetStream stream "
                + stream
                + " must cover "
                + Config.CLUSTER_SUBJECTS
                + " (the events replicas make themselves) and cannot be updated: "
                + e.getMessage());
      }
    }
    return info;
  }

  private String epochOf(StreamInfo info) {
    return JetStreamMsgIds.epoch(stream, info.getCreateTime().toInstant().toEpochMilli());
  }

  /** Who is told of an epoch change (set before {@link #start}). */
  public void onEpochChange(EpochListener listener) {
    this.epochListener = listener;
  }

  /** How many times the stream was found recreated since start. */
  public long epochChanges() {
    return epochChanges.get();
  }

  /**
   * Whether the stream is still the epoch being read; if it was recreated, switches to the new one
   * (the listener first) and returns false: the caller makes the live consumer again, from the new
   * stream's first message. A request to the server; throws when the stream is gone.
   */
  private boolean epochStillCurrent() throws Exception {
    StreamInfo info = connection.jetStreamManagement().getStreamInfo(stream);
    String now = epochOf(info);
    if (now.equals(epoch)) {
      long last = info.getStreamState().getLastSequence();
      pending = Math.max(0, last - lastDelivered);
      return true;
    }
    String previous = epoch;
    log.warn(
        "JetStream stream {} was recreated (epoch {} -> {}, read up to sequence {}): following"
            + " the new stream from its start",
        stream,
        previous,
        now,
        lastDelivered);
    epochListener.epochChanged(previous, now);
    epoch = now;
    lastDelivered = 0;
    pending = info.getStreamState().getLastSequence();
    epochChanges.incrementAndGet();
    return false;
  }

  /** The stream's identity as positions' epoch; null before {@link #connect}. */
  public String epoch() {
    return epoch;
  }

  public String stream() {
    return stream;
  }

  /**
   * Starts reading the stream from sequence {@code afterSeq + 1} into {@code intake} on a thread of
   * its own. The intake may block (backpressure).
   */
  public synchronized void start(long afterSeq, EventIntake intake) {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    lastDelivered = afterSeq;
    running = true;
    thread = new Thread(() -> run(intake), "nats-cluster-live");
    thread.setDaemon(true);
    thread.start();
  }

  private void run(EventIntake intake) {
    while (running) {
      long from = lastDelivered + 1;
      try {
        OrderedConsumerContext consumer =
            connection
                .getStreamContext(stream)
                .createOrderedConsumer(
                    new OrderedConsumerConfiguration()
                        .deliverPolicy(DeliverPolicy.ByStartSequence)
                        .startSequence(from));
        recreate = false;
        lastConsumerSeq = 0;
        // A consumer made after the stream was recreated reads the new stream.
        if (!epochStillCurrent()) {
          continue;
        }
        long lastProgress = System.nanoTime();
        // Read ahead by bytes, not the default 500 messages (500 MiB of 1 MiB events); at least
        // the server's largest message, which must fit in one pull.
        long readAhead =
            Math.max(tuning.fetchBytes(), connection.getServerInfo().getMaxPayload() + 8192);
        try (IterableConsumer it =
            consumer.iterate(
                io.nats.client.ConsumeOptions.builder().batchBytes(readAhead).build())) {
          while (running && !recreate) {
            Message m = it.nextMessage(Duration.ofMillis(500));
            if (m == null || !m.isJetStream()) {
              if (System.nanoTime() - lastProgress > STALL_CHECK.toNanos()) {
                lastProgress = System.nanoTime();
                Boolean current = epochCurrentOrUnknown();
                if (Boolean.FALSE.equals(current)) {
                  break;
                }
                if (current != null && pending > 0) {
                  log.warn(
                      "cluster live consumer on {} silent at sequence {} while the stream has"
                          + " more: recreating it",
                      stream,
                      lastDelivered);
                  break;
                }
              }
              continue;
            }
            lastProgress = System.nanoTime();
            long cseq = m.metaData().consumerSequence();
            if (cseq != lastConsumerSeq + 1 || lastConsumerSeq == 0) {
              // The first message of a consumer, or of one jnats (or the server) made anew behind
              // this loop: it may read a recreated stream, whose messages must not pass as the
              // old epoch's. A message that follows on comes from the consumer already checked,
              // which a stream's deletion takes with it: it is the old stream's even when the
              // stream has been recreated since, and is applied.
              if (!epochStillCurrent()) {
                break;
              }
            }
            lastConsumerSeq = cseq;
            if (!deliver(m, intake)) {
              return;
            }
          }
        }
        if (recreate && running) {
          log.info(
              "reconnected to NATS: reading {} again from sequence {}", stream, lastDelivered + 1);
        }
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
      } catch (Exception e) {
        if (!running) {
          return;
        }
        long n = errors.incrementAndGet();
        lastError = e.toString();
        if (n <= 10 || Long.bitCount(n) == 1) {
          log.warn("cluster live consumer on {} failed ({} so far): {}", stream, n, e.toString());
        }
        try {
          Thread.sleep(tuning.reconnectWaitMin().toMillis()); // back off before re-creating
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  /**
   * Reads the stream's messages on {@code filterSubject} from its first one up to sequence {@code
   * upTo}, oldest first, into {@code each} (subject, payload), on the calling thread, before {@link
   * #start}: state that a stored snapshot does not hold (silences) is rebuilt from the stream by a
   * replica that starts after it changed. The server filters, so only those messages travel. Blocks
   * until done or until the stream stays silent for {@code idle}.
   *
   * @return the messages read
   */
  public long readBack(
      String filterSubject,
      long upTo,
      Duration idle,
      java.util.function.BiConsumer<String, byte[]> each) {
    if (upTo <= 0) {
      return 0;
    }
    long n = 0;
    try {
      OrderedConsumerContext consumer =
          connection
              .getStreamContext(stream)
              .createOrderedConsumer(
                  new OrderedConsumerConfiguration()
                      .deliverPolicy(DeliverPolicy.All)
                      .filterSubject(filterSubject));
      try (IterableConsumer it = consumer.iterate()) {
        while (true) {
          Message m = it.nextMessage(idle);
          if (m == null || !m.isJetStream()) {
            return n;
          }
          if (m.metaData().streamSequence() > upTo) {
            return n;
          }
          each.accept(m.getSubject(), m.getData());
          n++;
          if (m.metaData().pendingCount() == 0) {
            return n;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return n;
    } catch (Exception e) {
      lastError = e.toString();
      log.warn("could not read {} back from {}: {}", filterSubject, stream, e.toString());
      return n;
    }
  }

  /**
   * The stream sequence up to which history is complete: the shared durable consumer's ack floor.
   * Each message is acknowledged only after its row (or its rejection) is committed, and messages
   * this map does not ingest are acknowledged too, so every event at or below it is in PostgreSQL:
   * a run of history with holes up to there is the whole run. 0 when unknown, or when the stream is
   * no longer the one of {@code epoch} (the floor would be a recreated stream's). Requests to the
   * server: call off the event loops.
   */
  public long historyCompleteTo(String durable, String epoch) {
    try {
      if (!epochOf(connection.jetStreamManagement().getStreamInfo(stream)).equals(epoch)) {
        return 0;
      }
      return connection
          .jetStreamManagement()
          .getConsumerInfo(stream, durable)
          .getAckFloor()
          .getStreamSequence();
    } catch (Exception e) {
      lastError = e.toString();
      return 0;
    }
  }

  /**
   * While the live consumer is silent: {@link #epochStillCurrent}, or null when the stream cannot
   * be read now (deleted and not yet recreated, or the server away): the consumer is left waiting
   * and this is asked again after the next {@link #STALL_CHECK}.
   */
  private Boolean epochCurrentOrUnknown() {
    try {
      return epochStillCurrent();
    } catch (Exception e) {
      lastError = e.toString();
      return null;
    }
  }

  /** False when interrupted (stopping). */
  private boolean deliver(Message m, EventIntake intake) {
    long seq = m.metaData().streamSequence();
    if (seq <= lastDelivered) {
      return true;
    }
    received.incrementAndGet();
    pending = m.metaData().pendingCount();
    if (Subject.matchesAny(subjects, m.getSubject())) {
      if (!intake.accept(
          m.getSubject(),
          m.getData(),
          JetStreamMsgIds.of(epoch, seq),
          Acker.NONE,
          JetStreamPuller.storedAt(m))) {
        return false;
      }
    }
    lastDelivered = seq;
    return true;
  }

  /**
   * Publishes an event this service made, on its subject, asynchronously (never blocks); a failure
   * is counted and logged. The event reaches the state when it comes back through the stream.
   */
  public void publish(Event e) {
    Connection c = connection;
    if (c == null) {
      publishFailures.incrementAndGet();
      return;
    }
    String id = "lm:" + replicaId + ":" + java.util.UUID.randomUUID();
    byte[] body = e.payload().encode().getBytes(StandardCharsets.UTF_8);
    try {
      c.jetStream()
          .publishAsync(e.eventType(), body, PublishOptions.builder().messageId(id).build())
          .whenComplete(
              (ack, err) -> {
                if (err == null) {
                  published.incrementAndGet();
                } else {
                  publishFailed(e, err);
                }
              });
    } catch (Exception ex) {
      publishFailed(e, ex);
    }
  }

  private void publishFailed(Event e, Throwable err) {
    long n = publishFailures.incrementAndGet();
    lastError = err.toString();
    if (n <= 10 || Long.bitCount(n) == 1) {
      log.warn("could not publish {} to {} ({} so far): {}", e.eventType(), stream, n, err);
    }
  }

  /** The stream sequence of the last message read here (applied or not). */
  public long lastDelivered() {
    return lastDelivered;
  }

  /** Stream messages after the last one read here, as JetStream last said. */
  public long pending() {
    return pending;
  }

  public long published() {
    return published.get();
  }

  public long publishFailures() {
    return publishFailures.get();
  }

  public String lastError() {
    return lastError;
  }

  public boolean connected() {
    Connection c = connection;
    return c != null && c.getStatus() == Connection.Status.CONNECTED;
  }

  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Connection c = connection;
    if (c != null) {
      try {
        c.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
