package org.daarion.livingmap.source.nats;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.PublishOptions;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.source.bus.BusPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes events on NATS: the simulator's and the benchmarks' bus when {@code NATS_URL} is set. A
 * non-null msgId goes out as the {@code Nats-Msg-Id} header, which JetStream uses to drop
 * duplicates (within the stream's duplicate window) and core ingest passes on as the event's msgId.
 *
 * <ul>
 *   <li>{@link Mode#CORE} (default): fire and forget. While reconnecting, messages go to the
 *       client's reconnect buffer; when that is full, {@code publish} waits for the connection up
 *       to {@code publishWait}, then drops the message and counts it in {@link #dropped()}.
 *   <li>{@link Mode#JETSTREAM}: asynchronous publish with a stream acknowledgement, at most {@code
 *       maxInFlight} unacknowledged ({@code publish} blocks when that many are in flight). A
 *       publish that fails or is not acknowledged in time is retried with backoff, up to {@code
 *       maxAttempts}, then counted in {@link #failed()}. With a msgId, retries cannot duplicate.
 * </ul>
 *
 * <p>The connection is made in the background and retried forever. Thread-safe.
 */
public final class NatsPublisher implements BusPublisher, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NatsPublisher.class);

  /** How messages are sent. */
  public enum Mode {
    CORE,
    JETSTREAM
  }

  /**
   * @param maxInFlight JetStream: unacknowledged publishes at most
   * @param ackTimeout JetStream: how long to wait for the stream's acknowledgement before retrying
   * @param maxAttempts JetStream: attempts per message before it counts as failed
   * @param publishWait how long {@code publish} waits for a connection before dropping (core) or
   *     failing (JetStream) a message
   */
  public record Settings(
      Mode mode, int maxInFlight, Duration ackTimeout, int maxAttempts, Duration publishWait) {
    public static final Settings CORE =
        new Settings(Mode.CORE, 1, Duration.ofSeconds(5), 1, Duration.ofSeconds(10));

    /** JetStream with 1,000 in flight: enough to keep one server busy, bounded in memory. */
    public static final Settings JETSTREAM =
        new Settings(Mode.JETSTREAM, 1_000, Duration.ofSeconds(5), 50, Duration.ofSeconds(10));

    public Settings {
      if (maxInFlight < 1 || maxAttempts < 1) {
        throw new IllegalArgumentException("maxInFlight and maxAttempts must be positive");
      }
    }

    public Settings withMaxInFlight(int n) {
      return new Settings(mode, n, ackTimeout, maxAttempts, publishWait);
    }

    public Settings withAckTimeout(Duration d) {
      return new Settings(mode, maxInFlight, d, maxAttempts, publishWait);
    }
  }

  private final Settings settings;
  private final NatsTuning tuning;
  private final NatsConnector connector;
  private final Semaphore inFlight;
  private final ScheduledExecutorService retries;
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private volatile JetStream js;
  private volatile boolean closed;

  private NatsPublisher(String urls, Settings settings, NatsTuning tuning) {
    this.settings = settings;
    this.tuning = tuning;
    this.connector = new NatsConnector("living-map-publisher", urls, tuning);
    this.inFlight = new Semaphore(settings.maxInFlight());
    this.retries =
        settings.mode() == Mode.JETSTREAM
            ? Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "nats-publish-retry");
                  t.setDaemon(true);
                  return t;
                })
            : null;
  }

  /** A core publisher with default settings; connects in the background. */
  public static NatsPublisher connect(String urls) {
    return connect(urls, Settings.CORE, NatsTuning.DEFAULTS);
  }

  /** Connects in the background and returns at once; {@code publish} waits for the connection. */
  public static NatsPublisher connect(String urls, Settings settings, NatsTuning tuning) {
    NatsPublisher p = new NatsPublisher(urls, settings, tuning);
    p.connector.start(() -> {});
    return p;
  }

  @Override
  public void publish(String subject, byte[] data, String msgId) {
    if (closed) {
      throw new IllegalStateException("NatsPublisher is closed");
    }
    if (settings.mode() == Mode.CORE) {
      publishCore(subject, data, msgId);
    } else {
      publishJetStream(new Pending(subject, data, msgId));
    }
  }

  private void publishCore(String subject, byte[] data, String msgId) {
    Headers headers = msgId == null ? null : new Headers().put(CoreSubscriber.MSG_ID_HEADER, msgId);
    for (int attempt = 0; attempt < 2; attempt++) {
      Connection c = awaitConnection(attempt > 0);
      if (c != null) {
        try {
          c.publish(subject, headers, data);
          published.incrementAndGet();
          return;
        } catch (IllegalStateException e) {
          // reconnect buffer full, or closed under us: wait for the connection, try once more
          if (closed) {
            throw e;
          }
        }
      }
    }
    long n = dropped.incrementAndGet();
    if (n <= 10 || Long.bitCount(n) == 1) {
      log.warn("NATS not connected: publish on {} dropped [{} dropped so far]", subject, n);
    }
  }

  /** The connection, waiting up to publishWait when there is none yet or {@code mustBeUp}. */
  private Connection awaitConnection(boolean mustBeUp) {
    Connection c = connector.connection();
    if (c != null && !mustBeUp) {
      return c;
    }
    try {
      if (connector.awaitConnected(settings.publishWait())) {
        return connector.connection();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return null;
  }

  private void publishJetStream(Pending p) {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to publish", e);
    }
    submit(p);
  }

  /**
   * Sends one attempt; the caller holds one in-flight permit, released when the message settles.
   */
  private void submit(Pending p) {
    if (closed) {
      settleFailed(p, "publisher closed");
      return;
    }
    p.attempts++;
    CompletableFuture<?> future;
    try {
      JetStream j = jetStream();
      if (j == null) {
        retryOrFail(p, new IOException("NATS not connected"));
        return;
      }
      PublishOptions opts =
          p.msgId == null ? null : PublishOptions.builder().messageId(p.msgId).build();
      future = j.publishAsync(p.subject, null, p.data, opts);
    } catch (RuntimeException e) {
      retryOrFail(p, e);
      return;
    }
    future
        .orTimeout(settings.ackTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (ack, err) -> {
              if (err == null) {
                published.incrementAndGet();
                inFlight.release();
              } else {
                retryOrFail(p, err);
              }
            });
  }

  private void retryOrFail(Pending p, Throwable err) {
    if (closed || p.attempts >= settings.maxAttempts()) {
      settleFailed(p, String.valueOf(err));
      return;
    }
    retried.incrementAndGet();
    Duration pause =
        NatsConnector.backoff(p.attempts, tuning.reconnectWaitMin(), tuning.reconnectWaitMax());
    try {
      retries.schedule(() -> submit(p), pause.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      settleFailed(p, "retry rejected: " + e);
    }
  }

  private void settleFailed(Pending p, String why) {
    long n = failed.incrementAndGet();
    inFlight.release();
    if (n <= 10 || Long.bitCount(n) == 1) {
      log.warn(
          "JetStream publish on {} failed after {} attempts: {} [{} failed so far]",
          p.subject,
          p.attempts,
          why,
          n);
    }
  }

  private JetStream jetStream() {
    JetStream j = js;
    if (j != null) {
      return j;
    }
    Connection c = awaitConnection(false);
    if (c == null) {
      return null;
    }
    try {
      j = c.jetStream();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    js = j;
    return j;
  }

  /**
   * Waits until everything published so far has left the client (core) or been acknowledged by the
   * stream or counted as failed (JetStream).
   */
  public void flush(Duration timeout) throws TimeoutException, InterruptedException {
    if (settings.mode() == Mode.CORE) {
      Connection c = connector.connection();
      if (c == null) {
        return;
      }
      c.flush(timeout);
      return;
    }
    int all = settings.maxInFlight();
    if (!inFlight.tryAcquire(all, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new TimeoutException(
          (all - inFlight.availablePermits())
              + " JetStream publishes still unacknowledged after "
              + timeout);
    }
    inFlight.release(all);
  }

  public void flush() throws TimeoutException, InterruptedException {
    flush(Duration.ofSeconds(30));
  }

  public NatsStatus status() {
    return connector.status();
  }

  /** Messages sent (core) or acknowledged by the stream (JetStream). */
  public long published() {
    return published.get();
  }

  /** JetStream publishes retried after a failure or timeout. */
  public long retried() {
    return retried.get();
  }

  /** JetStream publishes given up after {@code maxAttempts}. */
  public long failed() {
    return failed.get();
  }

  /** Core publishes dropped because NATS stayed unreachable. */
  public long dropped() {
    return dropped.get();
  }

  public long reconnects() {
    return connector.reconnects();
  }

  /** Flushes (up to 5 s) and closes the connection. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    try {
      flush(Duration.ofSeconds(5));
    } catch (TimeoutException e) {
      log.warn("closing NATS publisher: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.debug("flush on close failed: {}", e.toString());
    }
    closed = true;
    if (retries != null) {
      retries.shutdownNow();
    }
    connector.close(Duration.ofSeconds(2));
  }

  private static final class Pending {
    final String subject;
    final byte[] data;
    final String msgId;
    volatile int attempts;

    Pending(String subject, byte[] data, String msgId) {
      this.subject = subject;
      this.data = data;
      this.msgId = msgId;
    }
  }
}
