package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Issue 3: 1,000 malformed events mixed into valid ones (JetStream). Every valid event is applied
 * and stored once, every bad one is in the rejected table with its reason, and the pipeline keeps
 * running after them.
 */
class MalformedEventsTest {
  private static final int VALID = 5_000;
  private static final int BAD = 1_000;
  private static final int MAX_BYTES = 4096;

  /** The four kinds of bad event, in turn: raw bytes and the reason the service must give. */
  private static byte[] bad(int n) {
    return switch (n % 4) {
      case 0 -> ("{not json " + n).getBytes(StandardCharsets.UTF_8);
      case 1 -> new JsonArray().add(n).add("usage").encode().getBytes(StandardCharsets.UTF_8);
      case 2 ->
          new JsonObject()
              .put("agent_id", n) // a number where a string belongs
              .put("bad", n)
              .encode()
              .getBytes(StandardCharsets.UTF_8);
      default ->
          new JsonObject()
              .put("agent_id", "bad")
              .put("bad", n)
              .put("padding", "x".repeat(MAX_BYTES))
              .encode()
              .getBytes(StandardCharsets.UTF_8);
    };
  }

  private static String reasonPrefix(int n) {
    return switch (n % 4) {
      case 0 -> "not JSON";
      case 1 -> "payload is not a JSON object";
      case 2 -> "field 'agent_id' must be a string";
      default -> "payload of ";
    };
  }

  @Test
  void validEventsAreAppliedAndStoredAndBadOnesKeptAsRejected() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    Ledger ledger = new Ledger("mixed", db.jdbcUrl());
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url())) {
      Map<String, String> env = new HashMap<>();
      env.put("DATABASE_URL", db.databaseUrl());
      env.put("NATS_URL", nats.url());
      env.put("LIVING_MAP_NATS_MODE", "jetstream");
      env.put("LIVING_MAP_SIMULATOR", "off");
      env.put("LIVING_MAP_MAX_EVENT_BYTES", Integer.toString(MAX_BYTES));
      Config config = TestApps.config(env);
      try (Application app = TestApps.start(config);
          NatsPublisher publisher =
              NatsPublisher.connect(
                  nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
        Http http = new Http(app.port());
        KillMidIngestTest.awaitNatsOk(http);

        // One bad event after every fifth valid one: the pipeline must go on after each.
        int bad = 0;
        for (int i = 0; i < VALID; i++) {
          publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
          if (i % 5 == 4) {
            publisher.publish(Ledger.SUBJECT, bad(bad), "bad-" + bad);
            bad++;
          }
        }
        publisher.flush(Duration.ofSeconds(60));
        assertThat(bad).isEqualTo(BAD);
        assertThat(publisher.failed()).isZero();

        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  ConsumerInfo ci =
                      raw.jetStreamManagement().getConsumerInfo("LIVING_MAP", "living-map");
                  return ci.getNumPending() == 0 && ci.getNumAckPending() == 0;
                });

        Ledger.Audit audit = ledger.audit(VALID);
        assertThat(audit.missing()).isEmpty();
        assertThat(audit.doubled()).isEmpty();
        assertThat(audit.rows()).isEqualTo(VALID);
        assertThat(audit.unsequenced()).isZero();
        assertThat(ledger.appliedInState(http)).isEqualTo(VALID);
        assertThat(app.intake().rejectedCount()).isEqualTo(BAD);
        assertThat(app.intake().acceptedCount()).isEqualTo(VALID);

        // Every bad one in the rejected table, once, with its reason.
        try (java.sql.Connection c = ledger.connect();
            PreparedStatement ps =
                c.prepareStatement(
                    "SELECT msg_id, reason, size_bytes, subject FROM living_map_rejected_events")) {
          Map<String, String> reasons = new HashMap<>();
          int rows = 0;
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              rows++;
              reasons.put(rs.getString(1), rs.getString(2));
              assertThat(rs.getString(4)).isEqualTo(Ledger.SUBJECT);
            }
          }
          assertThat(rows).isEqualTo(BAD);
          assertThat(reasons).hasSize(BAD);
          // The rows carry JetStream ids (js:<epoch>:<seq>), so count per kind of reason.
          Map<String, Long> byKind = new HashMap<>();
          for (String reason : reasons.values()) {
            String kind =
                java.util.stream.IntStream.range(0, 4)
                    .mapToObj(MalformedEventsTest::reasonPrefix)
                    .filter(reason::startsWith)
                    .findFirst()
                    .orElse("unexpected: " + reason);
            byKind.merge(kind, 1L, Long::sum);
          }
          assertThat(byKind)
              .containsOnly(
                  Map.entry(reasonPrefix(0), 250L),
                  Map.entry(reasonPrefix(1), 250L),
                  Map.entry(reasonPrefix(2), 250L),
                  Map.entry(reasonPrefix(3), 250L));
        }

        // And through the API.
        JsonObject api = http.get("/living-map/rejected?limit=10").json();
        assertThat(api.getLong("total")).isEqualTo(BAD);
        assertThat(api.getJsonArray("items")).hasSize(10);

        // Still running: one more valid event goes all the way.
        publisher.publish(Ledger.SUBJECT, ledger.payload(VALID), ledger.msgId(VALID));
        publisher.flush(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(20)).until(() -> ledger.rows() == VALID + 1);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> ledger.appliedInState(http) == VALID + 1);
      }
    }
  }
}
