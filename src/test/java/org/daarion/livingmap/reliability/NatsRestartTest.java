package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/** Issue 3: nats-server restarts during ingest; the service reconnects by itself. */
class NatsRestartTest {
  private static JsonObject natsCheck(Http http) {
    return http.get("/living-map/health").json().getJsonObject("checks").getJsonObject("nats");
  }

  private static Application start(TestDatabase.Fresh db, NatsServerProcess nats, String mode) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.databaseUrl());
    env.put("NATS_URL", nats.url());
    env.put("LIVING_MAP_NATS_MODE", mode);
    env.put("LIVING_MAP_SIMULATOR", "off");
    return TestApps.start(TestApps.config(env));
  }

  /** JetStream: nothing is lost across the restart, nothing is applied or stored twice. */
  @Test
  void jetStreamReconnectsAndLosesNothing() throws Exception {
    int before = 20_000;
    int after = 2_000;
    TestDatabase.Fresh db = TestDatabase.create();
    Ledger ledger = new Ledger("jsrestart", db.jdbcUrl());
    try (NatsServerProcess nats = NatsServerProcess.start();
        Application app = start(db, nats, "jetstream");
        NatsPublisher publisher =
            NatsPublisher.connect(
                nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      Http http = new Http(app.port());
      KillMidIngestTest.awaitNatsOk(http);
      long reconnectsBefore = natsCheck(http).getLong("reconnects");

      CompletableFuture<Void> publishing =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < before; i++) {
                  publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
                }
              });
      await().atMost(Duration.ofSeconds(60)).until(() -> ledger.rows() >= 2_000);
      nats.restart(); // same port, same JetStream store
      publishing.get(); // the publisher retries what the restart refused
      publisher.flush(Duration.ofSeconds(60));

      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                JsonObject n = natsCheck(http);
                return "ok".equals(n.getString("status"))
                    && n.getLong("reconnects") > reconnectsBefore;
              });
      for (int i = before; i < before + after; i++) {
        publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
      }
      publisher.flush(Duration.ofSeconds(60));
      assertThat(publisher.failed()).isZero();

      try (Connection raw = Nats.connect(nats.url())) {
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  ConsumerInfo ci =
                      raw.jetStreamManagement().getConsumerInfo("LIVING_MAP", "living-map");
                  return ci.getNumPending() == 0 && ci.getNumAckPending() == 0;
                });
      }
      Ledger.Audit audit = ledger.audit(before + after);
      assertThat(audit.missing()).isEmpty();
      assertThat(audit.doubled()).isEmpty();
      assertThat(audit.rows()).isEqualTo(before + after);
      assertThat(audit.unsequenced()).isZero();
      assertThat(ledger.appliedInState(http)).isEqualTo(before + after);
    }
  }

  /** Core mode (at most once): after the restart the service is subscribed again by itself. */
  @Test
  void coreReconnectsAndEventsPublishedAfterTheRestartArrive() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    Ledger ledger = new Ledger("corerestart", db.jdbcUrl());
    try (NatsServerProcess nats = NatsServerProcess.start();
        Application app = start(db, nats, "core");
        NatsPublisher publisher = NatsPublisher.connect(nats.url())) {
      Http http = new Http(app.port());
      KillMidIngestTest.awaitNatsOk(http);
      for (int i = 0; i < 500; i++) {
        publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
      }
      publisher.flush(Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(30)).until(() -> ledger.rows() == 500);

      nats.restart();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                JsonObject n = natsCheck(http);
                return "ok".equals(n.getString("status")) && n.getLong("reconnects") >= 1;
              });
      for (int i = 500; i < 1_000; i++) {
        publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
      }
      publisher.flush(Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(30)).until(() -> ledger.rows() == 1_000);

      try (java.sql.Connection c = ledger.connect();
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT count(DISTINCT (payload->>'marker')::int) FROM living_map_history"
                      + " WHERE payload->>'run' = 'corerestart'"
                      + " AND (payload->>'marker')::int >= 500")) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).as("events published after the restart").isEqualTo(500);
        }
      }
      assertThat(ledger.appliedInState(http)).isEqualTo(1_000);
    }
  }
}
