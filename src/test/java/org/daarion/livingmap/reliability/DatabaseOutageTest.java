package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 3: PostgreSQL stops for 30 s during a JetStream ingest at 200 events/s. Meanwhile the
 * service serves snapshots (200, seq moving) and the stream, and its health says degraded with the
 * database down; once PostgreSQL is back, history holds every event exactly once.
 */
class DatabaseOutageTest {
  private static final Logger log = LoggerFactory.getLogger(DatabaseOutageTest.class);
  private static final int RATE = 200;
  private static final Duration OUTAGE = Duration.ofSeconds(30);

  /** 45 s of events: some before the outage, the whole outage, some after. */
  private static final int N = RATE * 45;

  @Test
  void servesThroughAThirtySecondOutageAndHistoryCatchesUpExactlyOnce() throws Exception {
    Path pgDir = Files.createTempDirectory("living-map-pg-outage");
    int pgPort = TestDatabase.freePort();
    EmbeddedPostgres pg = TestDatabase.startPrivate(pgDir, pgPort);
    String url = "jdbc:postgresql://localhost:" + pgPort + "/postgres?user=postgres";
    Ledger ledger = new Ledger("outage", url);
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url());
        NatsPublisher publisher =
            NatsPublisher.connect(
                nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      Map<String, String> env = new HashMap<>();
      env.put("DATABASE_URL", url);
      env.put("NATS_URL", nats.url());
      env.put("LIVING_MAP_NATS_MODE", "jetstream");
      env.put("LIVING_MAP_SIMULATOR", "off");
      try (Application app = TestApps.start(TestApps.config(env))) {
        Http http = new Http(app.port());
        KillMidIngestTest.awaitNatsOk(http);
        boolean streamWired = StreamProbe.wired(http);
        if (!streamWired) {
          log.warn("/living-map/stream is not wired in this build: the stream is not checked");
        }
        try (StreamProbe stream = streamWired ? new StreamProbe(app.port()) : null) {
          // 200 events/s, paced by a timer (the pace is the load, not a synchronisation).
          AtomicInteger next = new AtomicInteger();
          pacer.scheduleAtFixedRate(
              () -> {
                int i = next.getAndIncrement();
                if (i < N) {
                  publisher.publish(Ledger.SUBJECT, ledger.payload(i), ledger.msgId(i));
                }
              },
              0,
              1_000_000 / RATE,
              TimeUnit.MICROSECONDS);

          await().atMost(Duration.ofSeconds(30)).until(() -> ledger.rows() >= 500);
          pg.close(); // PostgreSQL stops (pg_ctl stop); its data directory stays
          long stoppedAt = System.nanoTime();
          int publishedAtStop = next.get();

          // Health turns degraded with the database down.
          await()
              .atMost(Duration.ofSeconds(15))
              .pollInterval(Duration.ofMillis(200))
              .until(
                  () -> {
                    JsonObject h = http.get("/living-map/health").json();
                    return "degraded".equals(h.getString("status"))
                        && "down"
                            .equals(
                                h.getJsonObject("checks")
                                    .getJsonObject("database")
                                    .getString("status"));
                  });

          // For the rest of the outage: snapshots answer 200, their seq keeps moving, health
          // stays degraded, the stream keeps delivering.
          AtomicLong lastSeq = new AtomicLong(snapshotSeq(http));
          AtomicLong streamEventsAtStop = new AtomicLong(stream == null ? 0 : stream.events());
          long remaining = OUTAGE.toNanos() - (System.nanoTime() - stoppedAt);
          AtomicInteger seqMoves = new AtomicInteger();
          await()
              .pollInterval(Duration.ofSeconds(1))
              .during(Duration.ofNanos(remaining).minusMillis(500))
              .atMost(Duration.ofNanos(remaining).plusSeconds(5))
              .until(
                  () -> {
                    long seq = snapshotSeq(http);
                    if (seq > lastSeq.getAndSet(seq)) {
                      seqMoves.incrementAndGet();
                    }
                    JsonObject h = http.get("/living-map/health").json();
                    return seq > 0
                        && "degraded".equals(h.getString("status"))
                        && "down"
                            .equals(
                                h.getJsonObject("checks")
                                    .getJsonObject("database")
                                    .getString("status"));
                  });
          assertThat(System.nanoTime() - stoppedAt).isGreaterThanOrEqualTo(OUTAGE.toNanos());
          assertThat(seqMoves.get()).as("snapshot seq moves during the outage").isGreaterThan(20);
          assertThat(next.get() - publishedAtStop)
              .as("events published during the outage")
              .isGreaterThan(RATE * 25);
          if (stream != null) {
            assertThat(stream.closedHow()).as("stream closed during the outage").isNull();
            assertThat(stream.events() - streamEventsAtStop.get())
                .as("stream events during the outage")
                .isGreaterThan(RATE * 20L);
          }

          pg = TestDatabase.startPrivate(pgDir, pgPort);

          await().atMost(Duration.ofSeconds(60)).until(() -> next.get() >= N);
          await()
              .atMost(Duration.ofSeconds(90))
              .pollInterval(Duration.ofMillis(500))
              .until(
                  () -> {
                    ConsumerInfo ci =
                        raw.jetStreamManagement().getConsumerInfo("LIVING_MAP", "living-map");
                    return ci.getNumPending() == 0 && ci.getNumAckPending() == 0;
                  });
          assertThat(publisher.failed()).isZero();

          Ledger.Audit audit = ledger.audit(N);
          assertThat(audit.missing()).isEmpty();
          assertThat(audit.doubled()).isEmpty();
          assertThat(audit.rows()).isEqualTo(N);
          assertThat(audit.distinctMsgIds()).isEqualTo(N);
          assertThat(audit.unsequenced()).isZero();
          assertThat(ledger.appliedInState(http)).isEqualTo(N);
          await()
              .atMost(Duration.ofSeconds(20))
              .until(
                  () ->
                      "ok"
                          .equals(
                              http.get("/living-map/health")
                                  .json()
                                  .getJsonObject("checks")
                                  .getJsonObject("database")
                                  .getString("status")));

          // The batches retried through the outage, and the redelivered ones, were stored around
          // the COPY, so memory missed rows; once they stop it reads history back and answers
          // pages with few matches again, with history's exact total, no restart needed.
          await()
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () -> {
                    double before = http.historyPagesFromMemory();
                    JsonObject page =
                        http.get("/living-map/history?limit=5&event_type=" + Ledger.SUBJECT).json();
                    return http.historyPagesFromMemory() > before
                        && !page.getBoolean("total_is_estimate")
                        && page.getLong("total") == N;
                  });
        }
      }
    } finally {
      pacer.shutdownNow();
      pg.close();
    }
  }

  private static long snapshotSeq(Http http) {
    Http.Response r = http.get("/living-map/snapshot");
    assertThat(r.status()).isEqualTo(200);
    return r.json().getLong("seq");
  }
}
