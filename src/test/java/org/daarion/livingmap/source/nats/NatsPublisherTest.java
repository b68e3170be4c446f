package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NatsPublisherTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private NatsServerProcess server;
  private Connection raw;

  @BeforeEach
  void setUp() throws Exception {
    server = NatsServerProcess.start();
    raw = Nats.connect(server.url());
  }

  @AfterEach
  void tearDown() throws Exception {
    raw.close();
    server.close();
  }

  @Test
  void corePublishCarriesTheMsgIdHeaderOnlyWhenGiven() throws Exception {
    Subscription sub = raw.subscribe("usage.llm");
    raw.flush(WAIT);
    try (NatsPublisher publisher =
        NatsPublisher.connect(
            server.url(), NatsPublisher.Settings.CORE, IngestProbe.fastTuning())) {
      publisher.publish("usage.llm", "{\"a\":1}".getBytes(StandardCharsets.UTF_8), "id-1");
      publisher.publish("usage.llm", "{\"a\":2}".getBytes(StandardCharsets.UTF_8), null);
      publisher.flush(WAIT);
      Message first = sub.nextMessage(WAIT);
      Message second = sub.nextMessage(WAIT);
      assertThat(first.getHeaders().getFirst("Nats-Msg-Id")).isEqualTo("id-1");
      assertThat(new String(first.getData(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
      assertThat(second.hasHeaders()).isFalse();
      assertThat(publisher.published()).isEqualTo(2);
      assertThat(publisher.dropped()).isZero();
    }
  }

  @Test
  void jetStreamPublishIsAcknowledgedAndDeduplicatedByMsgId() throws Exception {
    JetStreamManagement jsm = raw.jetStreamManagement();
    jsm.addStream(StreamConfiguration.builder().name("PUB").subjects("usage.llm").build());
    try (NatsPublisher publisher =
        NatsPublisher.connect(
            server.url(),
            NatsPublisher.Settings.JETSTREAM.withMaxInFlight(16),
            IngestProbe.fastTuning())) {
      for (int i = 0; i < 100; i++) {
        publisher.publish("usage.llm", IngestProbe.numbered("p", i), "p-" + i);
      }
      // the same ids again: the stream drops them as duplicates
      for (int i = 0; i < 10; i++) {
        publisher.publish("usage.llm", IngestProbe.numbered("p", i), "p-" + i);
      }
      publisher.publish("usage.llm", IngestProbe.numbered("p", 100), null);
      publisher.flush(WAIT);
      assertThat(publisher.published()).isEqualTo(111);
      assertThat(publisher.failed()).isZero();
    }
    assertThat(jsm.getStreamInfo("PUB").getStreamState().getMsgCount()).isEqualTo(101);
  }

  @Test
  void publishWaitsForTheFirstConnection() throws Exception {
    server.stop();
    try (NatsPublisher publisher =
        NatsPublisher.connect(
            server.url(), NatsPublisher.Settings.CORE, IngestProbe.fastTuning())) {
      assertThat(publisher.status()).isEqualTo(NatsStatus.CONNECTING);
      server.startAgain();
      Connection sub = Nats.connect(server.url());
      try {
        Subscription s = sub.subscribe("usage.agent");
        sub.flush(WAIT);
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  publisher.publish("usage.agent", IngestProbe.numbered("w", 1), null);
                  assertThat(s.nextMessage(Duration.ofMillis(200))).isNotNull();
                });
      } finally {
        sub.close();
      }
    }
  }
}
