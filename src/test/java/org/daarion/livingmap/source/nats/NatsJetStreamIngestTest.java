package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.source.nats.IngestProbe.Arrival;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NatsJetStreamIngestTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String STREAM = "LM_TEST";
  private static final String DURABLE = "lm-test";

  private NatsServerProcess server;
  private Connection raw;
  private NatsPublisher publisher;
  private NatsIngest ingest;

  @BeforeEach
  void setUp() throws Exception {
    server = NatsServerProcess.start();
    raw = Nats.connect(server.url());
    publisher =
        NatsPublisher.connect(
            server.url(), NatsPublisher.Settings.JETSTREAM, IngestProbe.fastTuning());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (ingest != null) {
      ingest.close();
    }
    publisher.close();
    raw.close();
    server.close();
  }

  private Config config() {
    return IngestProbe.config(
        server.url(),
        "jetstream",
        Map.of("LIVING_MAP_NATS_STREAM", STREAM, "LIVING_MAP_NATS_DURABLE", DURABLE));
  }

  private NatsIngest startIngest(IngestProbe probe, NatsTuning tuning) {
    NatsIngest i = new NatsIngest(config(), probe.intake, tuning);
    i.start();
    await().atMost(WAIT).until(i::isReady);
    return i;
  }

  private void publishNumbered(String subject, String marker, int from, int to) throws Exception {
    for (int n = from; n < to; n++) {
      publisher.publish(subject, IngestProbe.numbered(marker, n), marker + "-" + n);
    }
    publisher.flush(WAIT);
  }

  @Test
  void createsTheStreamWhenAbsentWithEveryConfiguredSubject() throws Exception {
    JetStreamManagement jsm = raw.jetStreamManagement();
    assertThat(jsm.getStreamNames()).doesNotContain(STREAM);

    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = startIngest(probe, IngestProbe.fastTuning());

    StreamInfo info = jsm.getStreamInfo(STREAM);
    assertThat(info.getConfiguration().getSubjects())
        .containsExactlyInAnyOrderElementsOf(config().natsSubjects);
    ConsumerInfo consumer = jsm.getConsumerInfo(STREAM, DURABLE);
    assertThat(consumer.getConsumerConfiguration().getMaxAckPending()).isEqualTo(20_000);

    // bare and nested subjects both land in the stream and come out of the consumer
    publisher.publish("usage.llm", IngestProbe.fixture("usage.llm"), "u-1");
    publisher.publish("usage.agent", IngestProbe.fixture("usage.agent"), "u-2");
    publisher.publish("node.metrics.gpu-1", IngestProbe.fixture("node.metrics.node-03"), "n-1");
    publisher.flush(WAIT);
    await().atMost(WAIT).until(() -> probe.arrivals.size() == 3);
    assertThat(probe.arrivals)
        .extracting(Arrival::subject)
        .containsExactly("usage.llm", "usage.agent", "node.metrics.gpu-1");
    // msgIds are the stream sequence, prefixed so they never collide with Nats-Msg-Id values
    assertThat(probe.arrivals)
        .extracting(Arrival::msgId)
        .containsExactly(
            "js:" + epoch(info) + ":1", "js:" + epoch(info) + ":2", "js:" + epoch(info) + ":3");
    await().atMost(WAIT).until(() -> ingest.acked() == 3);
    await().atMost(WAIT).until(() -> jsm.getConsumerInfo(STREAM, DURABLE).getNumAckPending() == 0);
  }

  @Test
  void deliversMessagesPublishedBeforeTheServiceStarted() throws Exception {
    // First run creates stream and consumer, then the service stops.
    IngestProbe first = new IngestProbe(1_000_000);
    startIngest(first, IngestProbe.fastTuning()).close();

    publishNumbered("agent.event.status", "early", 0, 200);

    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = startIngest(probe, IngestProbe.fastTuning());
    await().atMost(WAIT).until(() -> probe.distinctNumbers().size() == 200);
    assertThat(probe.arrivals).hasSize(200);
    List<Long> seqs =
        probe.arrivals.stream()
            .map(a -> JetStreamMsgIds.streamSequence(a.msgId()).orElseThrow())
            .toList();
    assertThat(seqs).isSorted().doesNotHaveDuplicates();
    assertThat(first.arrivals).isEmpty();
  }

  @Test
  void redeliversWhatIsNotAcknowledgedAndNothingThatIs() throws Exception {
    NatsTuning tuning = IngestProbe.fastTuning().toBuilder().ackWait(Duration.ofSeconds(1)).build();
    IngestProbe probe = new IngestProbe(1_000_000);
    // "held" is acknowledged only at its third delivery; "done" at its first.
    probe.ackWhen(a -> !"held".equals(a.marker()) || probe.withMarker("held").size() >= 3);
    ingest = startIngest(probe, tuning);

    publisher.publish("agent.event.status", IngestProbe.numbered("done", 1), "d-1");
    publisher.publish("agent.event.status", IngestProbe.numbered("held", 2), "h-1");
    publisher.flush(WAIT);

    // Three deliveries of "held" take two AckWaits: "done" would have come back by then.
    await().atMost(WAIT).until(() -> probe.withMarker("held").size() >= 3);
    assertThat(probe.withMarker("held"))
        .extracting(Arrival::msgId)
        .containsOnly("js:" + epoch(raw.jetStreamManagement().getStreamInfo(STREAM)) + ":2");
    assertThat(probe.withMarker("done")).hasSize(1);
    assertThat(ingest.redelivered()).isGreaterThanOrEqualTo(2);
    JetStreamManagement jsm = raw.jetStreamManagement();
    await().atMost(WAIT).until(() -> jsm.getConsumerInfo(STREAM, DURABLE).getNumAckPending() == 0);
  }

  @Test
  void resumesWhereItLeftOffAfterCloseAndStart() throws Exception {
    IngestProbe firstProbe = new IngestProbe(1_000_000);
    NatsIngest first = startIngest(firstProbe, IngestProbe.fastTuning());
    publishNumbered("agent.event.status", "first", 0, 50);
    await().atMost(WAIT).until(() -> first.acked() == 50);
    first.close();
    assertThat(first.state().status()).isEqualTo(NatsStatus.CLOSED);

    publishNumbered("agent.event.status", "second", 50, 80);

    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = startIngest(probe, IngestProbe.fastTuning());
    await().atMost(WAIT).until(() -> probe.arrivals.size() >= 30);
    assertThat(probe.arrivals).hasSize(30);
    assertThat(probe.arrivals).allSatisfy(a -> assertThat(a.marker()).isEqualTo("second"));
    assertThat(probe.distinctNumbers())
        .containsExactlyInAnyOrderElementsOf(
            IntStream.range(50, 80).boxed().collect(Collectors.toSet()));
  }

  @Test
  void malformedPayloadIsRejectedAcknowledgedAndIngestGoesOn() throws Exception {
    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = startIngest(probe, IngestProbe.fastTuning());

    publisher.publish("usage.llm", "{not json".getBytes(StandardCharsets.UTF_8), "bad-1");
    publisher.publish("agent.event.status", IngestProbe.numbered("after-bad", 1), "good-1");
    publisher.flush(WAIT);

    await().atMost(WAIT).until(() -> probe.withMarker("after-bad").size() == 1);
    String epoch = epoch(raw.jetStreamManagement().getStreamInfo(STREAM));
    assertThat(probe.rejections)
        .anySatisfy(
            r -> {
              assertThat(r.subject()).isEqualTo("usage.llm");
              assertThat(r.msgId()).isEqualTo("js:" + epoch + ":1");
            });
    // the rejected sink acknowledged it: nothing stays pending on the consumer
    JetStreamManagement jsm = raw.jetStreamManagement();
    await().atMost(WAIT).until(() -> jsm.getConsumerInfo(STREAM, DURABLE).getNumAckPending() == 0);
    assertThat(ingest.state().errors()).isZero();
  }

  @Test
  void recreatesTheConsumerWhenItIsDeleted() throws Exception {
    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = startIngest(probe, IngestProbe.fastTuning());
    publishNumbered("agent.event.status", "before", 0, 5);
    await().atMost(WAIT).until(() -> ingest.acked() == 5);

    raw.jetStreamManagement().deleteConsumer(STREAM, DURABLE);
    await().atMost(WAIT).until(() -> ingest.consumerRecoveries() + ingest.errors() > 0);
    await().atMost(WAIT).until(ingest::isReady);
    publishNumbered("agent.event.status", "after", 5, 10);

    // a recreated consumer starts from the stream's beginning: old messages come again (history
    // dedupes by msgId), and the new ones arrive
    await().atMost(WAIT).until(() -> probe.withMarker("after").size() >= 5);
    assertThat(probe.msgIds()).hasSize(10);
  }

  /** The stream's epoch, which the ids of its messages carry. */
  private static String epoch(StreamInfo info) {
    return STREAM + "-" + info.getCreateTime().toInstant().toEpochMilli();
  }
}
