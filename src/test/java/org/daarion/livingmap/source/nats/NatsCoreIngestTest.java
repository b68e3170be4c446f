package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.daarion.livingmap.config.NatsMode;
import org.daarion.livingmap.source.nats.IngestProbe.Arrival;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NatsCoreIngestTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private NatsServerProcess server;
  private IngestProbe probe;
  private NatsIngest ingest;
  private Connection raw;

  @BeforeEach
  void setUp() throws Exception {
    server = NatsServerProcess.start();
    probe = new IngestProbe(1_000_000);
    raw = Nats.connect(server.url());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (ingest != null) {
      ingest.close();
    }
    if (raw != null) {
      raw.close();
    }
    server.close();
  }

  private void startIngest() {
    ingest =
        new NatsIngest(
            IngestProbe.config(server.url(), "core", Map.of()),
            probe.intake,
            IngestProbe.fastTuning());
    ingest.start();
    await().atMost(WAIT).until(ingest::isReady);
  }

  private void publish(String subject, byte[] data, String msgId) {
    Headers h = msgId == null ? null : new Headers().put("Nats-Msg-Id", msgId);
    raw.publish(subject, h, data);
  }

  @Test
  void receivesEveryConfiguredSubjectWithMsgIdHeaders() {
    startIngest();

    publish("usage.llm", IngestProbe.fixture("usage.llm"), "llm-1");
    publish("usage.agent", IngestProbe.fixture("usage.agent"), "agent-1");
    publish("usage.llm.gpt", IngestProbe.fixture("usage.llm"), null);
    publish("node.metrics.gpu-1", IngestProbe.fixture("node.metrics.node-03"), "gpu-1:1");
    publish("dao.event.vote_cast", IngestProbe.fixture("dao.event.vote_cast"), "vote-1");
    publish("messaging.message.created", IngestProbe.fixture("messaging.message.created"), null);
    publish("not.configured", IngestProbe.fixture("usage.llm"), "ignored");

    await().atMost(WAIT).until(() -> probe.arrivals.size() >= 6);
    assertThat(probe.arrivals)
        .extracting(Arrival::subject, Arrival::msgId)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("usage.llm", "llm-1"),
            org.assertj.core.groups.Tuple.tuple("usage.agent", "agent-1"),
            org.assertj.core.groups.Tuple.tuple("usage.llm.gpt", null),
            org.assertj.core.groups.Tuple.tuple("node.metrics.gpu-1", "gpu-1:1"),
            org.assertj.core.groups.Tuple.tuple("dao.event.vote_cast", "vote-1"),
            org.assertj.core.groups.Tuple.tuple("messaging.message.created", null));
    Arrival gpu =
        probe.arrivals.stream()
            .filter(a -> a.subject().equals("node.metrics.gpu-1"))
            .findFirst()
            .orElseThrow();
    assertThat(gpu.payload().getDouble("gpu")).isEqualTo(0.72);
    assertThat(ingest.state().status()).isEqualTo(NatsStatus.CONNECTED);
    assertThat(ingest.state().mode()).isEqualTo(NatsMode.CORE);
    assertThat(ingest.received()).isEqualTo(6);
  }

  @Test
  void malformedPayloadIsRejectedAndTheSubscriptionGoesOn() {
    startIngest();

    publish("usage.llm", "{not json".getBytes(StandardCharsets.UTF_8), "bad-1");
    publish("node.metrics.gpu-1", "{\"node_id\":\"gpu-1\",\"cpu\":\"high\"}".getBytes(), null);
    publish("agent.event.status", IngestProbe.numbered("after-bad", 1), "good-1");

    await().atMost(WAIT).until(() -> probe.withMarker("after-bad").size() == 1);
    assertThat(probe.rejections)
        .extracting(r -> r.subject(), r -> r.msgId())
        .contains(
            org.assertj.core.groups.Tuple.tuple("usage.llm", "bad-1"),
            org.assertj.core.groups.Tuple.tuple("node.metrics.gpu-1", null));
    assertThat(probe.rejections).allSatisfy(r -> assertThat(r.reason()).isNotBlank());
    assertThat(probe.withMarker("after-bad").get(0).msgId()).isEqualTo("good-1");
    assertThat(ingest.state().errors()).isZero();
  }

  @Test
  void reconnectsByItselfWhenTheServerRestartsDuringAPublishLoop() throws Exception {
    startIngest();
    // The publisher under test keeps publishing while the server goes away and comes back.
    try (NatsPublisher publisher =
        NatsPublisher.connect(
            server.url(), NatsPublisher.Settings.CORE, IngestProbe.fastTuning())) {
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger next = new AtomicInteger();
      Thread loop =
          new Thread(
              () -> {
                while (running.get()) {
                  int n = next.getAndIncrement();
                  publisher.publish("agent.event.status", IngestProbe.numbered("loop", n), null);
                  LockSupport.parkNanos(1_000_000); // pace the load: about 1,000 messages/s
                }
              });
      loop.start();
      try {
        await().atMost(WAIT).until(() -> probe.withMarker("loop").size() >= 50);

        server.restart();
        int afterRestart = next.get();

        await().atMost(WAIT).until(() -> ingest.reconnects() >= 1);
        await()
            .atMost(WAIT)
            .until(() -> probe.distinctNumbers().stream().anyMatch(n -> n > afterRestart + 10));
      } finally {
        running.set(false);
        loop.join();
      }
    }
    assertThat(ingest.state().status()).isEqualTo(NatsStatus.CONNECTED);
    assertThat(ingest.state().lastError()).isNotNull();
  }

  @Test
  void countsSlowConsumerDropsAndKeepsReceiving() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    probe.blockOn(gate);
    ingest =
        new NatsIngest(
            IngestProbe.config(server.url(), "core", Map.of()),
            probe.intake,
            IngestProbe.fastTuning().toBuilder().pendingLimits(50, 4096).build());
    ingest.start();
    await().atMost(WAIT).until(ingest::isReady);

    // The intake is stuck on the first message and its 4 KiB queue fills; the dispatcher then
    // waits in the rejected sink (also stuck), so the client's pending queue passes its limits
    // whatever the timing. With a roomy queue the dispatcher never waits, and whether the client
    // drops depends on the dispatcher thread being scheduled late: that was a flaky test.
    for (int n = 0; n < 500; n++) {
      publish("agent.event.status", IngestProbe.numbered("flood", n), null);
    }
    raw.flush(WAIT);
    await().atMost(WAIT).until(() -> ingest.slowConsumerDrops() > 0);
    gate.countDown();

    await()
        .atMost(WAIT)
        .until(() -> probe.withMarker("flood").size() + ingest.slowConsumerDrops() == 500);
    assertThat(ingest.slowConsumerEvents()).isGreaterThanOrEqualTo(1);
    assertThat(ingest.state().slowConsumerDrops()).isEqualTo(ingest.slowConsumerDrops());

    publish("agent.event.status", IngestProbe.numbered("after-flood", 1), null);
    await().atMost(WAIT).until(() -> probe.withMarker("after-flood").size() == 1);
  }
}
