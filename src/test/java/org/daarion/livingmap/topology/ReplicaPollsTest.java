package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.simulator.Simulator;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, shared jobs: two replicas poll the same upstream services (the standalone simulator),
 * but the entities the polls find reach the map as {@code living_map.entity.*} events published by
 * the lease holder alone, at their stream position: each is in history once, and both replicas
 * serve the same snapshot.
 */
// a system test: several processes or replicas, tens of seconds; left out of the fast loop
@Tag("system")
class ReplicaPollsTest {
  @Test
  void pollChangesArePublishedOnceByTheLeaseHolderAndAppliedByEveryReplica() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    try (NatsServerProcess nats = NatsServerProcess.start()) {
      Config simConfig =
          Config.of(
              Map.of(
                  "NATS_URL", nats.url(),
                  "LIVING_MAP_SIM_PORT", "0",
                  "LIVING_MAP_HOST", "127.0.0.1",
                  "LIVING_MAP_SIM_RATE", "0"));
      NatsPublisher simPublisher = NatsPublisher.connect(nats.url());
      Simulator sim = Simulator.runStandalone(simConfig, simPublisher);
      List<Application> apps = new ArrayList<>();
      try {
        for (int r = 1; r <= 2; r++) {
          Map<String, String> env = new HashMap<>();
          env.put("DATABASE_URL", db.databaseUrl());
          env.put("NATS_URL", nats.url());
          env.put("LIVING_MAP_NATS_MODE", "jetstream");
          env.put("LIVING_MAP_REPLICA_ID", "poll-" + r);
          env.put("LIVING_MAP_POLL_INTERVAL", "1s");
          env.put("LIVING_MAP_UPSTREAM_TOKEN", sim.serviceToken());
          for (UpstreamSource s : UpstreamSource.values()) {
            env.put(s.setting().env(), sim.baseUrl());
          }
          apps.add(TestApps.start(TestApps.config(env)));
        }
        List<Http> https = apps.stream().map(a -> new Http(a.port())).toList();

        // The map fills from the holder's published poll changes, on both replicas.
        for (Http http : https) {
          await()
              .atMost(Duration.ofSeconds(60))
              .untilAsserted(
                  () -> {
                    JsonObject layers =
                        http.get("/living-map/snapshot").json().getJsonObject("layers");
                    assertThat(layers.getJsonObject("city").getJsonArray("items")).isNotEmpty();
                    assertThat(layers.getJsonObject("agents").getJsonArray("items")).isNotEmpty();
                  });
        }
        List<JsonObject> clusters = new ArrayList<>();
        for (Http http : https) {
          clusters.add(
              http.get("/living-map/health")
                  .json()
                  .getJsonObject("checks")
                  .getJsonObject("cluster"));
        }
        assertThat(clusters.stream().filter(c -> c.getBoolean("shared_jobs")).count())
            .as("one lease holder: %s", clusters)
            .isEqualTo(1);
        JsonObject holder =
            clusters.get(0).getBoolean("shared_jobs") ? clusters.get(0) : clusters.get(1);
        JsonObject other = holder == clusters.get(0) ? clusters.get(1) : clusters.get(0);
        assertThat(holder.getLong("derived_published")).isPositive();
        assertThat(other.getLong("derived_published")).isZero();
        assertThat(other.getLong("derived_dropped")).as("the other polled too").isPositive();

        // Converged: same seq, same bytes (generated_at aside).
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  String a = body(https.get(0));
                  String b = body(https.get(1));
                  return a.equals(b);
                });
        // An event posted to one replica reaches every replica through the stream.
        Http.Response posted =
            https
                .get(1)
                .post(
                    "/living-map/events",
                    new JsonObject()
                        .put("event_type", "node.metrics.posted-1")
                        .put(
                            "payload", new JsonObject().put("node_id", "posted-1").put("cpu", 0.42))
                        .encode());
        assertThat(posted.status()).as(posted.body()).isEqualTo(202);
        for (Http http : https) {
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(100))
              .until(
                  () -> {
                    Http.Response r = http.get("/living-map/entities/node:posted-1");
                    return r.status() == 200
                        && r.json().getJsonObject("data").getJsonObject("metrics").getDouble("cpu")
                            == 0.42;
                  });
        }

        // Written once: no entity added twice, although both replicas polled. History is written
        // by the shared durable consumer: wait until it has acknowledged everything published so
        // far (the sources' polls are spread over the interval, so the stream is never quiet for
        // long and "nothing pending" need not come).
        try (io.nats.client.Connection raw = io.nats.client.Nats.connect(nats.url())) {
          io.nats.client.JetStreamManagement jsm = raw.jetStreamManagement();
          long last = jsm.getStreamInfo("LIVING_MAP").getStreamState().getLastSequence();
          await()
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofMillis(100))
              .until(
                  () ->
                      jsm.getConsumerInfo("LIVING_MAP", "living-map")
                              .getAckFloor()
                              .getStreamSequence()
                          >= last);
        }
        try (var c = db.connect();
            PreparedStatement ps =
                c.prepareStatement(
                    "SELECT count(*), count(DISTINCT entity_id), count(DISTINCT seq)"
                        + " FROM living_map_history WHERE event_type = 'living_map.entity.added'");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).as("entities added").isPositive();
          assertThat(rs.getLong(2)).as("each entity added once").isEqualTo(rs.getLong(1));
          assertThat(rs.getLong(3)).isEqualTo(rs.getLong(1));
        }
        try (var c = db.connect();
            PreparedStatement ps =
                c.prepareStatement(
                    "SELECT count(*) FROM living_map_history"
                        + " WHERE event_type = 'node.metrics.posted-1'");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).as("the posted event, written once").isEqualTo(1);
        }
      } finally {
        apps.forEach(Application::close);
        sim.stop().toCompletionStage().toCompletableFuture().join();
        simPublisher.close();
      }
    }
  }

  /** The snapshot without its generation times (they differ by design). */
  private static String body(Http http) {
    return http.get("/living-map/snapshot")
        .body()
        .replaceAll("\"generated_at\":\"[^\"]*\"", "\"generated_at\":\"-\"");
  }
}
