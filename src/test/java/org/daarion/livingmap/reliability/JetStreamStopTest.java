package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import java.time.Duration;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Issue 3, "on shutdown, flush and ack what was written", in jetstream mode: a service stopped in
 * the middle of an ingest acknowledges every event it stored and none it did not (the consumer's
 * ack floor is exactly the rows in history), releases what it fetched and did not hand on, and a
 * restart stores the rest at once, each event once.
 */
class JetStreamStopTest {
  private static final int N = 100_000;
  private static final String STREAM = "LIVING_MAP";
  private static final String DURABLE = "living-map";

  @Test
  void aStopMidIngestAcknowledgesExactlyWhatItStored() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    Ledger ledger = new Ledger("js-stop", db.jdbcUrl());
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url())) {
      Config config =
          TestApps.config(
              Map.of(
                  "DATABASE_URL",
                  db.databaseUrl(),
                  "NATS_URL",
                  nats.url(),
                  "LIVING_MAP_NATS_MODE",
                  "jetstream",
                  "LIVING_MAP_SIMULATOR",
                  "off"));
      Application first = TestApps.start(config);
      try (NatsPublisher publisher =
          NatsPublisher.connect(
              nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
        for (int i = 0; i < N; i++) {
          publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
        }
        publisher.flush(Duration.ofSeconds(60));
        assertThat(publisher.failed()).isZero();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> ledger.rows() >= N / 10);
      first.close();

      long stored = ledger.rows();
      assertThat(stored).as("stopped mid-ingest").isBetween(1L, (long) N - 1);
      ConsumerInfo ci = raw.jetStreamManagement().getConsumerInfo(STREAM, DURABLE);
      assertThat(ci.getAckFloor().getStreamSequence())
          .as("every stored event acknowledged, and nothing beyond")
          .isEqualTo(stored);

      try (Application again = TestApps.start(config)) {
        // Well within the consumer's AckWait (30 s): what the stopped instance had fetched and not
        // handed on was released at the stop, not left to time out.
        await()
            .atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> {
                  ConsumerInfo c = raw.jetStreamManagement().getConsumerInfo(STREAM, DURABLE);
                  return c.getNumPending() == 0 && c.getNumAckPending() == 0;
                });
        Ledger.Audit audit = ledger.audit(N);
        assertThat(audit.missing()).isEmpty();
        assertThat(audit.doubled()).isEmpty();
        assertThat(audit.rows()).isEqualTo(N);
      }
    }
  }
}
