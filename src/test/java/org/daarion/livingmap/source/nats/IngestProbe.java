package org.daarion.livingmap.source.nats;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventIntake;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.event.RejectedSink;
import org.daarion.livingmap.event.Rejection;

/**
 * The sequencer and rejected-sink side of a real {@link EventIntake}, collecting what arrives. By
 * default it acknowledges everything at once, as the history writer (events) and the rejected store
 * (rejections) would after storing it; {@link #ackWhen} changes that.
 *
 * <p>Transport tests look at {@link #arrivals}: every message the ingest handed to the intake,
 * accepted or rejected, with its subject, msgId and payload. What the parser makes of a payload is
 * the event package's business, not the bus's.
 */
final class IngestProbe implements EventIntake.Sequencer, RejectedSink {
  /** One message as it reached the intake. */
  record Arrival(String subject, String msgId, JsonObject payload, boolean rejected, Acker acker) {
    String marker() {
      return payload == null ? null : payload.getString("marker");
    }

    Integer number() {
      return payload == null ? null : payload.getInteger("n");
    }
  }

  final ConcurrentLinkedQueue<Arrival> arrivals = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Rejection> rejections = new ConcurrentLinkedQueue<>();
  private volatile Predicate<Arrival> ackWhen = a -> true;
  private volatile CountDownLatch gate = new CountDownLatch(0);
  final EventIntake intake;

  IngestProbe(int maxEventBytes) {
    intake = new EventIntake(new EventParser(maxEventBytes), this, this, Clock.systemUTC());
  }

  /** Acknowledge only what passes {@code p}. */
  IngestProbe ackWhen(Predicate<Arrival> p) {
    ackWhen = p;
    return this;
  }

  /** Make {@link #submit} block until {@code g} opens, as a full sequencer queue would. */
  IngestProbe blockOn(CountDownLatch g) {
    gate = g;
    return this;
  }

  @Override
  public void submit(Event event) throws InterruptedException {
    gate.await();
    events.add(event);
    arrive(new Arrival(event.eventType(), event.msgId(), event.payload(), false, event.acker()));
  }

  @Override
  public void reject(Rejection rejection) {
    try {
      gate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    rejections.add(rejection);
    arrive(
        new Arrival(
            rejection.subject(),
            rejection.msgId(),
            decode(rejection.raw()),
            true,
            rejection.acker()));
  }

  private void arrive(Arrival a) {
    arrivals.add(a);
    if (ackWhen.test(a)) {
      a.acker().ack();
    }
  }

  private static JsonObject decode(byte[] raw) {
    try {
      Object v = Json.decodeValue(Buffer.buffer(raw));
      return v instanceof JsonObject o ? o : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  List<Arrival> withMarker(String marker) {
    return arrivals.stream().filter(a -> marker.equals(a.marker())).toList();
  }

  /** Distinct {@code n} payload fields seen (publishers number their messages). */
  Set<Integer> distinctNumbers() {
    return arrivals.stream()
        .map(Arrival::number)
        .filter(n -> n != null)
        .collect(Collectors.toSet());
  }

  Set<String> msgIds() {
    return arrivals.stream().map(Arrival::msgId).collect(Collectors.toSet());
  }

  /** A test configuration pointing at {@code url} (keys are environment-variable names). */
  static Config config(String url, String mode, Map<String, String> more) {
    Map<String, String> env = new java.util.HashMap<>(more);
    env.put("NATS_URL", url);
    env.put("LIVING_MAP_NATS_MODE", mode);
    return Config.of(env);
  }

  /** Short waits so that tests of reconnects and redelivery run in seconds. */
  static NatsTuning fastTuning() {
    return NatsTuning.DEFAULTS.toBuilder()
        .connectionTimeout(Duration.ofSeconds(1))
        .reconnectWait(Duration.ofMillis(50), Duration.ofMillis(500))
        .fetch(100, Duration.ofMillis(250))
        .consumerCheckInterval(Duration.ofMillis(500))
        .closeAckGrace(Duration.ofSeconds(1))
        .build();
  }

  static byte[] fixture(String name) {
    try (InputStream in =
        IngestProbe.class.getResourceAsStream("/fixtures/events/" + name + ".json")) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] numbered(String marker, int n) {
    return ("{\"agent_id\":\"agent:test\",\"status\":\"online\",\"marker\":\""
            + marker
            + "\",\"n\":"
            + n
            + "}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
