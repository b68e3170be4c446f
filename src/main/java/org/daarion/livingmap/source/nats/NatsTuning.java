package org.daarion.livingmap.source.nats;

import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Connection and consumer knobs that are not in {@link org.daarion.livingmap.config.Config}: the
 * defaults suit production; tests shorten the waits. Immutable; change with {@link #toBuilder()}.
 *
 * @param connectionTimeout one connection attempt's limit (TCP connect, INFO, first PONG)
 * @param reconnectWaitMin first pause between rounds of reconnect attempts; doubles each round
 * @param reconnectWaitMax cap of that pause; each pause is jittered down to half at random, so
 *     replicas do not reconnect in step after a server restart
 * @param pingInterval how often the client pings: a dead server is noticed after two missed pongs
 * @param reconnectBufferBytes what a publisher may buffer while reconnecting before it blocks
 * @param pendingMessages core mode: messages a subscription may hold before the client drops (slow
 *     consumer)
 * @param pendingBytes core mode: bytes a subscription may hold before the client drops
 * @param ackWait JetStream: redelivery delay of a message not acknowledged
 * @param maxAckPending JetStream: messages delivered but not yet acknowledged, at most
 * @param fetchBatch JetStream: messages asked for in one pull
 * @param fetchBytes JetStream: bytes one pull may bring at most (raised to the server's largest
 *     message, which must fit), so a pull of large messages stays within the memory budget
 * @param fetchWait JetStream: how long one pull waits for messages (also bounds how fast {@code
 *     close()} stops the pull thread)
 * @param consumerCheckInterval JetStream: while idle, how often to check that the consumer still
 *     exists (it is recreated if deleted)
 * @param streamMaxAge JetStream: age limit of messages in a stream this service creates
 * @param closeAckGrace JetStream: on close, how long to wait for events already handed to the
 *     intake to be acknowledged before the connection closes
 */
public record NatsTuning(
    Duration connectionTimeout,
    Duration reconnectWaitMin,
    Duration reconnectWaitMax,
    Duration pingInterval,
    long reconnectBufferBytes,
    int pendingMessages,
    long pendingBytes,
    Duration ackWait,
    int maxAckPending,
    int fetchBatch,
    long fetchBytes,
    Duration fetchWait,
    Duration consumerCheckInterval,
    Duration streamMaxAge,
    Duration closeAckGrace) {

  /** Production defaults. */
  public static final NatsTuning DEFAULTS =
      new NatsTuning(
          // a healthy server answers in milliseconds; 2 s tolerates a loaded one
          Duration.ofSeconds(2),
          Duration.ofMillis(250),
          // a restarted server is found within 5 s, without hammering it while down
          Duration.ofSeconds(5),
          // jnats defaults to 2 min; 20 s notices a half-open TCP connection within 1 min
          Duration.ofSeconds(20),
          // 8 MB: a few seconds of simulator output at full rate
          8L * 1024 * 1024,
          // generous: the sequencer applies backpressure, bursts should queue, not drop
          1_000_000,
          // LIVING_MAP_NATS_BUFFER_BYTES' default: the client's buffer is heap like any other
          16L * 1024 * 1024,
          // the history writer commits within about a second; 30 s absorbs a slow database
          Duration.ofSeconds(30),
          // enough in flight to keep a batched history writer full
          20_000,
          500,
          16L * 1024 * 1024,
          Duration.ofSeconds(1),
          Duration.ofSeconds(5),
          // the stream is a buffer in front of history, not the archive: one day covers an outage
          Duration.ofDays(1),
          Duration.ofSeconds(5));

  public NatsTuning {
    Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    Objects.requireNonNull(reconnectWaitMin, "reconnectWaitMin");
    Objects.requireNonNull(reconnectWaitMax, "reconnectWaitMax");
    Objects.requireNonNull(pingInterval, "pingInterval");
    Objects.requireNonNull(ackWait, "ackWait");
    Objects.requireNonNull(fetchWait, "fetchWait");
    Objects.requireNonNull(consumerCheckInterval, "consumerCheckInterval");
    Objects.requireNonNull(streamMaxAge, "streamMaxAge");
    Objects.requireNonNull(closeAckGrace, "closeAckGrace");
    if (reconnectWaitMax.compareTo(reconnectWaitMin) < 0) {
      throw new IllegalArgumentException("reconnectWaitMax must be >= reconnectWaitMin");
    }
    if (pendingMessages < 1 || maxAckPending < 1 || fetchBatch < 1) {
      throw new IllegalArgumentException(
          "pendingMessages, maxAckPending and fetchBatch must be positive");
    }
    if (fetchBytes < 1 || pendingBytes < 1) {
      throw new IllegalArgumentException("fetchBytes and pendingBytes must be positive");
    }
    if (fetchWait.toMillis() < 100) {
      throw new IllegalArgumentException("fetchWait must be at least 100 ms");
    }
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * The stream this service creates when the configured one is absent: file storage, limits
   * retention dropping the oldest, messages kept for {@link #streamMaxAge}, and a two-minute window
   * in which a repeated {@code Nats-Msg-Id} is stored once.
   */
  StreamConfiguration streamConfiguration(String stream, List<String> subjects) {
    return StreamConfiguration.builder()
        .name(stream)
        .subjects(subjects)
        .storageType(StorageType.File)
        .retentionPolicy(RetentionPolicy.Limits)
        .discardPolicy(DiscardPolicy.Old)
        .maxAge(streamMaxAge)
        .duplicateWindow(Duration.ofMinutes(2))
        .build();
  }

  /** Copy-and-change builder. */
  public static final class Builder {
    private Duration connectionTimeout;
    private Duration reconnectWaitMin;
    private Duration reconnectWaitMax;
    private Duration pingInterval;
    private long reconnectBufferBytes;
    private int pendingMessages;
    private long pendingBytes;
    private Duration ackWait;
    private int maxAckPending;
    private int fetchBatch;
    private long fetchBytes;
    private Duration fetchWait;
    private Duration consumerCheckInterval;
    private Duration streamMaxAge;
    private Duration closeAckGrace;

    private Builder(NatsTuning t) {
      connectionTimeout = t.connectionTimeout;
      reconnectWaitMin = t.reconnectWaitMin;
      reconnectWaitMax = t.reconnectWaitMax;
      pingInterval = t.pingInterval;
      reconnectBufferBytes = t.reconnectBufferBytes;
      pendingMessages = t.pendingMessages;
      pendingBytes = t.pendingBytes;
      ackWait = t.ackWait;
      maxAckPending = t.maxAckPending;
      fetchBatch = t.fetchBatch;
      fetchBytes = t.fetchBytes;
      fetchWait = t.fetchWait;
      consumerCheckInterval = t.consumerCheckInterval;
      streamMaxAge = t.streamMaxAge;
      closeAckGrace = t.closeAckGrace;
    }

    public Builder connectionTimeout(Duration v) {
      connectionTimeout = v;
      return this;
    }

    public Builder reconnectWait(Duration min, Duration max) {
      reconnectWaitMin = min;
      reconnectWaitMax = max;
      return this;
    }

    public Builder pingInterval(Duration v) {
      pingInterval = v;
      return this;
    }

    public Builder reconnectBufferBytes(long v) {
      reconnectBufferBytes = v;
      return this;
    }

    public Builder pendingLimits(int messages, long bytes) {
      pendingMessages = messages;
      pendingBytes = bytes;
      return this;
    }

    public Builder ackWait(Duration v) {
      ackWait = v;
      return this;
    }

    public Builder maxAckPending(int v) {
      maxAckPending = v;
      return this;
    }

    public Builder fetch(int batch, Duration wait) {
      fetchBatch = batch;
      fetchWait = wait;
      return this;
    }

    public Builder fetchBytes(long v) {
      fetchBytes = v;
      return this;
    }

    public Builder consumerCheckInterval(Duration v) {
      consumerCheckInterval = v;
      return this;
    }

    public Builder streamMaxAge(Duration v) {
      streamMaxAge = v;
      return this;
    }

    public Builder closeAckGrace(Duration v) {
      closeAckGrace = v;
      return this;
    }

    public NatsTuning build() {
      return new NatsTuning(
          connectionTimeout,
          reconnectWaitMin,
          reconnectWaitMax,
          pingInterval,
          reconnectBufferBytes,
          pendingMessages,
          pendingBytes,
          ackWait,
          maxAckPending,
          fetchBatch,
          fetchBytes,
          fetchWait,
          consumerCheckInterval,
          streamMaxAge,
          closeAckGrace);
    }
  }
}
