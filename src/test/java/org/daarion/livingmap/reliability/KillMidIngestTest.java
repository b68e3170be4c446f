package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.ServiceProcess;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 3: SIGKILL the service in the middle of a JetStream ingest of 50,000 events and start it
 * again: every event is in history exactly once and counted once in the live state. The service
 * runs as its own JVM so that the kill is a real one (no shutdown hook, no flush).
 */
// a system test: several processes or replicas, tens of seconds; left out of the fast loop
@Tag("system")
class KillMidIngestTest {
  private static final int N = 50_000;
  private static final String STREAM = "LIVING_MAP";
  private static final String DURABLE = "living-map";

  @Test
  void everyEventIsInHistoryExactlyOnceAfterSigkillAndRestart() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    Path dataDir = Files.createTempDirectory("living-map-kill");
    Ledger ledger = new Ledger("kill", db.jdbcUrl());
    try (NatsServerProcess nats = NatsServerProcess.start();
        ServiceProcess service =
            new ServiceProcess(
                Map.of(
                    "DATABASE_URL", db.databaseUrl(),
                    "NATS_URL", nats.url(),
                    "LIVING_MAP_NATS_MODE", "jetstream",
                    "LIVING_MAP_SIMULATOR", "off",
                    // stored snapshots during the ingest: the restart restores from one of them
                    // plus the history after it, the production path
                    "LIVING_MAP_SNAPSHOT_INTERVAL", "1s"),
                dataDir);
        Connection raw = Nats.connect(nats.url());
        NatsPublisher publisher =
            NatsPublisher.connect(
                nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      service.start();
      Http http = new Http(service.port());
      awaitNatsOk(http);

      CompletableFuture<Void> publishing =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < N; i++) {
                  publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
                }
                try {
                  publisher.flush(Duration.ofSeconds(60));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });

      // In the middle: some events committed, most not yet.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> ledger.rows() >= N / 5);
      service.kill();
      long atKill = ledger.rows();
      assertThat(atKill).as("killed mid-ingest").isLessThan(N);

      publishing.get();
      assertThat(publisher.failed()).as("publishes refused by JetStream").isZero();
      assertThat(raw.jetStreamManagement().getStreamInfo(STREAM).getStreamState().getMsgCount())
          .isEqualTo(N);

      service.start();
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                ConsumerInfo ci = raw.jetStreamManagement().getConsumerInfo(STREAM, DURABLE);
                return ci.getNumPending() == 0 && ci.getNumAckPending() == 0;
              });

      Ledger.Audit audit = ledger.audit(N);
      assertThat(audit.missing()).as("markers missing from history").isEmpty();
      assertThat(audit.doubled()).as("markers stored twice").isEmpty();
      assertThat(audit.rows()).isEqualTo(N);
      assertThat(audit.distinctMarkers()).isEqualTo(N);
      assertThat(audit.distinctMsgIds()).isEqualTo(N);
      assertThat(audit.unsequenced()).as("rows without a position (seq, epoch)").isZero();
      assertThat(ledger.appliedInState(http))
          .as("events applied to the live state after the restart (restored plus redelivered)")
          .isEqualTo(N);
    }
  }

  static void awaitNatsOk(Http http) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                "ok"
                    .equals(
                        http.get("/living-map/health")
                            .json()
                            .getJsonObject("checks")
                            .getJsonObject("nats")
                            .getString("status")));
  }
}
