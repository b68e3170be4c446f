package org.daarion.livingmap.source.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.support.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NATS connection that never gives up: the first connect and every reconnect retry forever in
 * the background, with exponential backoff and jitter, so the service starts while NATS is down.
 * Listeners log each connection change once and keep the last error; repeated failures of one
 * outage log once at WARN, then at DEBUG until the next successful connect.
 *
 * <p>Thread-safe. {@link #start(Runnable)} runs {@code onFirstConnect} on the connect thread once
 * the first connection is up; jnats itself restores subscriptions after a reconnect.
 */
final class NatsConnector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NatsConnector.class);

  private final String name;
  private final String urls;
  private final Options options;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final AtomicReference<Connection> connection = new AtomicReference<>();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private volatile Instant lastErrorAt;
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong disconnects = new AtomicLong();
  private final AtomicLong slowConsumerEvents = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private volatile boolean outageLogged;
  // True between a connect and the next drop: jnats reports DISCONNECTED more than once per drop.
  private final AtomicBoolean up = new AtomicBoolean();
  private volatile boolean closed;
  private volatile boolean everConnected;
  private Thread connectThread;

  NatsConnector(String name, String urls, NatsTuning tuning) {
    this.name = name;
    this.urls = urls;
    String[] servers = Arrays.stream(urls.split(",")).map(String::trim).toArray(String[]::new);
    this.options =
        new Options.Builder()
            .servers(servers)
            .connectionName(name)
            .maxReconnects(-1)
            .connectionTimeout(tuning.connectionTimeout())
            .reconnectDelayHandler(
                rounds -> backoff(rounds, tuning.reconnectWaitMin(), tuning.reconnectWaitMax()))
            .pingInterval(tuning.pingInterval())
            .reconnectBufferSize(tuning.reconnectBufferBytes())
            .connectionListener(this::onConnectionEvent)
            .errorListener(new Errors())
            .build();
  }

  /**
   * The pause before reconnect round {@code rounds} (from 1): {@code min * 2^(rounds-1)} capped at
   * {@code max}, then jittered at random between half and all of it.
   */
  static Duration backoff(long rounds, Duration min, Duration max) {
    long base = min.toMillis();
    long cap = max.toMillis();
    long exp = base << Math.min(Math.max(rounds - 1, 0), 20);
    long wait = Math.min(cap, exp < 0 ? cap : exp);
    long jittered = wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1);
    return Duration.ofMillis(jittered);
  }

  /** Starts connecting in the background; returns at once. */
  void start(Runnable onFirstConnect) {
    lock.lock();
    try {
      if (connectThread != null) {
        throw new IllegalStateException(name + ": already started");
      }
      if (closed) {
        throw new IllegalStateException(name + ": closed");
      }
      connectThread = new Thread(() -> connectLoop(onFirstConnect), name + "-connect");
      connectThread.setDaemon(true);
      connectThread.start();
    } finally {
      lock.unlock();
    }
  }

  private void connectLoop(Runnable onFirstConnect) {
    log.info("{}: connecting to NATS {}", name, urls);
    Connection conn;
    try {
      // Blocks until connected: with maxReconnects(-1) a failed first attempt goes on into the
      // reconnect loop, forever, until connected or closed.
      conn = Nats.connectReconnectOnConnect(options);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      recordError("connect failed: " + e);
      log.error("{}: cannot connect to NATS {}: {}", name, urls, e.toString());
      return;
    }
    setConnection(conn);
    if (closed) {
      closeQuietly(conn);
      return;
    }
    // It was connected when connectReconnectOnConnect returned, even if it has dropped since:
    // subscriptions made now are sent again on the next reconnect.
    everConnected = true;
    try {
      onFirstConnect.run();
    } catch (RuntimeException e) {
      recordError("setup after connect failed: " + e);
      log.error("{}: setup after connecting to NATS failed", name, e);
    }
  }

  private void setConnection(Connection conn) {
    if (conn == null) {
      return;
    }
    lock.lock();
    try {
      connection.compareAndSet(null, conn);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The connection once the client has one (even if it is reconnecting now), else null. */
  Connection connection() {
    return connection.get();
  }

  boolean isConnected() {
    Connection c = connection.get();
    return c != null && c.getStatus() == Connection.Status.CONNECTED;
  }

  /** Waits until connected, closed, or the timeout; true when connected. */
  boolean awaitConnected(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (!isConnected() && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.await(left, TimeUnit.NANOSECONDS);
      }
      return isConnected();
    } finally {
      lock.unlock();
    }
  }

  NatsStatus status() {
    if (closed) {
      return NatsStatus.CLOSED;
    }
    Connection c = connection.get();
    if (c == null || !everConnected && c.getStatus() != Connection.Status.CONNECTED) {
      return NatsStatus.CONNECTING;
    }
    return switch (c.getStatus()) {
      case CONNECTED -> NatsStatus.CONNECTED;
      case RECONNECTING, CONNECTING -> NatsStatus.RECONNECTING;
      case DISCONNECTED -> NatsStatus.DISCONNECTED;
      case CLOSED -> NatsStatus.CLOSED;
    };
  }

  String lastError() {
    return lastError.get();
  }

  Instant lastErrorAt() {
    return lastErrorAt;
  }

  long reconnects() {
    return reconnects.get();
  }

  long disconnects() {
    return disconnects.get();
  }

  long slowConsumerEvents() {
    return slowConsumerEvents.get();
  }

  long errors() {
    return errors.get();
  }

  boolean isClosed() {
    return closed;
  }

  void recordError(String message) {
    errors.incrementAndGet();
    lastError.set(message);
    lastErrorAt = Instant.now();
  }

  /**
   * Closes the connection (flushing what is buffered, for at most {@code flushTimeout}) and stops
   * connecting. Idempotent.
   */
  void close(Duration flushTimeout) {
    Thread t;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      changed.signalAll();
      t = connectThread;
    } finally {
      lock.unlock();
    }
    Connection c = connection.get();
    if (c != null) {
      if (c.getStatus() == Connection.Status.CONNECTED) {
        try {
          c.flush(flushTimeout);
        } catch (Exception e) {
          log.debug("{}: flush before close failed: {}", name, e.toString());
        }
      }
      closeQuietly(c);
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // The connect thread may have obtained a connection while we were closing.
    Connection late = connection.get();
    if (late != null && late != c) {
      closeQuietly(late);
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(1));
  }

  private void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.debug("{}: close failed: {}", name, e.toString());
    }
  }

  private void onConnectionEvent(Connection conn, ConnectionListener.Events event) {
    setConnection(conn);
    switch (event) {
      case CONNECTED -> {
        outageLogged = false;
        up.set(true);
        log.info("{}: connected to NATS {}", name, conn.getConnectedUrl());
      }
      case RECONNECTED -> {
        outageLogged = false;
        up.set(true);
        reconnects.incrementAndGet();
        log.info("{}: reconnected to NATS {}", name, conn.getConnectedUrl());
      }
      case DISCONNECTED -> {
        if (up.compareAndSet(true, false) && !closed) {
          disconnects.incrementAndGet();
          log.warn("{}: disconnected from NATS; reconnecting in the background", name);
        }
      }
      case CLOSED -> log.info("{}: NATS connection closed", name);
      case LAME_DUCK -> log.warn("{}: NATS server entered lame duck mode", name);
      default -> log.debug("{}: NATS {}", name, event);
    }
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private final class Errors implements ErrorListener {
    @Override
    public void errorOccurred(Connection conn, String error) {
      setConnection(conn);
      recordError("server error: " + error);
      log.warn("{}: NATS server error: {}", name, error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
      // Failed connect attempts report here with the connection object: keeping it lets close()
      // stop a connect that has not succeeded yet.
      setConnection(conn);
      recordError(exp.toString());
      if (closed) {
        return;
      }
      if (!outageLogged) {
        outageLogged = true;
        log.warn("{}: NATS: {} (further errors until reconnect at DEBUG)", name, exp.toString());
      } else {
        log.debug("{}: NATS: {}", name, exp.toString());
      }
    }

    @Override
    public void slowConsumerDetected(Connection conn, Consumer consumer) {
      long n = slowConsumerEvents.incrementAndGet();
      recordError("slow consumer: messages dropped");
      if (n <= 10 || Long.bitCount(n) == 1) {
        log.warn(
            "{}: slow consumer, NATS messages dropped (pending {} msgs, {} dropped so far) [{}"
                + " events]",
            name,
            consumer.getPendingMessageCount(),
            consumer.getDroppedCount(),
            n);
      }
    }

    @Override
    public void pullStatusError(Connection conn, JetStreamSubscription sub, Status status) {
      recordError("pull status " + status.getCode() + " " + status.getMessage());
      log.warn("{}: JetStream pull error {} {}", name, status.getCode(), status.getMessage());
    }

    @Override
    public void unhandledStatus(Connection conn, JetStreamSubscription sub, Status status) {
      log.debug("{}: JetStream status {} {}", name, status.getCode(), status.getMessage());
    }
  }
}
