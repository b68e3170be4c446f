package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.ServiceProcess;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 8: three replicas (separate JVMs, cluster mode) on one nats-server and one PostgreSQL.
 * 50,000 node-metrics events (and, among them, 50 malformed messages that make holes in the seqs)
 * are published while the replica running the shared jobs is SIGKILLed and started again. Then: its
 * lease passes to another replica; history holds each event exactly once, at its stream position;
 * the three replicas serve the same snapshot at the same seq; a stream client that was on the
 * killed replica resumed on another one with no gap and no duplicate, and its state matches that
 * replica's snapshot.
 */
// a system test: several processes or replicas, tens of seconds; left out of the fast loop
@Tag("system")
class ReplicasTest {
  private static final int N = 50_000;
  private static final int MALFORMED_EVERY = 1_000;
  private static final int NODES = 20;
  private static final String STREAM = "LIVING_MAP";
  private static final String DURABLE = "living-map";
  private static final String RUN = "replicas";

  @Test
  void threeReplicasWriteHistoryOnceConvergeAndResumeAcrossAKill() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    List<ServiceProcess> replicas = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    List<String> notes = java.util.Collections.synchronizedList(new ArrayList<>());
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url());
        NatsPublisher publisher =
            NatsPublisher.connect(
                nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      for (int r = 1; r <= 3; r++) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", db.databaseUrl());
        env.put("NATS_URL", nats.url());
        env.put("LIVING_MAP_NATS_MODE", "jetstream");
        env.put("LIVING_MAP_SIMULATOR", "off");
        env.put("LIVING_MAP_REPLICA_ID", "r" + r);
        env.put("LIVING_MAP_SNAPSHOT_INTERVAL", "2s");
        // The test's one client decodes every event on a machine the three replicas keep busy: a
        // queue that holds the whole run, so that a slow read is not resynchronised (the overflow
        // policy has tests of its own) and the run checks resume across replicas.
        env.put("LIVING_MAP_WS_QUEUE", "100000");
        replicas.add(new ServiceProcess(env, Files.createTempDirectory("living-map-r" + r)));
      }
      // The first creates the stream and the durable consumer; the others join it.
      replicas.get(0).start();
      CompletableFuture<Void> second = CompletableFuture.runAsync(() -> replicas.get(1).start());
      replicas.get(2).start();
      second.get(120, TimeUnit.SECONDS);
      // The replica to kill is the one running the shared jobs: its lease must pass on.
      List<Http> https = replicas.stream().map(p -> new Http(p.port())).toList();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> holders(https).size() == 1);
      int victimIndex = holders(https).get(0);
      ServiceProcess victim = replicas.get(victimIndex);
      ServiceProcess survivor = replicas.get((victimIndex + 1) % 3);

      // A stream client on the replica that will be killed; it fails over to a survivor.
      LivingMapStreamClient client =
          new LivingMapStreamClient(
              vertx,
              new LivingMapStreamClient.Options()
                  .host("127.0.0.1")
                  .port(victim.port())
                  .failover("127.0.0.1", survivor.port())
                  .reconnect(true, 100)
                  .keepSeqs(true)
                  .onFrame(
                      f -> {
                        if (!"event".equals(f.getString("kind"))) {
                          notes.add(f.copy().put("data", (Object) null).encode());
                        }
                      }));
      client.connect().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      String epoch = client.epoch();
      long start = client.position();
      assertThat(epoch).startsWith(STREAM + "-");

      CompletableFuture<Void> publishing =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < N; i++) {
                  String node = "rep-" + (i % NODES);
                  publisher.publish(
                      "node.metrics." + node,
                      new JsonObject()
                          .put("node_id", node)
                          .put("cpu", (i * 7) % 100)
                          .put("gpu", i % 50)
                          .put("marker", i)
                          .put("run", RUN)
                          .encode()
                          .getBytes(StandardCharsets.UTF_8),
                      RUN + "-" + i);
                  if (i % MALFORMED_EVERY == MALFORMED_EVERY - 1) {
                    publisher.publish(
                        "node.metrics." + node,
                        "not json".getBytes(StandardCharsets.UTF_8),
                        RUN + "-bad-" + i);
                  }
                }
                try {
                  publisher.flush(Duration.ofSeconds(120));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });

      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> historyRows(db) >= N / 5 && client.events() > 0);
      victim.kill();
      assertThat(historyRows(db)).as("killed mid-ingest").isLessThan(N);
      // Failover of the shared jobs while the holder is down.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                List<Integer> h = holders(https);
                return h.size() == 1 && h.get(0) != victimIndex;
              });
      victim.start();

      publishing.get(180, TimeUnit.SECONDS);
      assertThat(publisher.failed()).as("publishes refused by JetStream").isZero();
      JetStreamManagement jsm = raw.jetStreamManagement();
      int malformed = N / MALFORMED_EVERY;
      long lastSeq = jsm.getStreamInfo(STREAM).getStreamState().getLastSequence();
      assertThat(lastSeq).isEqualTo(N + malformed);

      // Written once: the shared durable consumer has nothing left, history has every event.
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                ConsumerInfo ci = jsm.getConsumerInfo(STREAM, DURABLE);
                return ci.getNumPending() == 0 && ci.getNumAckPending() == 0;
              });
      try (var c = db.connect();
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT count(*), count(DISTINCT payload->>'marker'), count(DISTINCT msg_id),"
                      + " count(DISTINCT seq), count(*) FILTER (WHERE epoch <> ?),"
                      + " count(*) FILTER (WHERE msg_id <> ? || seq)"
                      + " FROM living_map_history WHERE payload->>'run' = ?")) {
        ps.setString(1, epoch);
        ps.setString(2, "js:" + epoch + ":");
        ps.setString(3, RUN);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).as("history rows").isEqualTo(N);
          assertThat(rs.getLong(2)).as("distinct events").isEqualTo(N);
          assertThat(rs.getLong(3)).as("distinct message ids").isEqualTo(N);
          assertThat(rs.getLong(4)).as("distinct positions").isEqualTo(N);
          assertThat(rs.getLong(5)).as("rows of another epoch").isZero();
          assertThat(rs.getLong(6)).as("rows whose seq is not their stream sequence").isZero();
        }
      }
      assertThat(count(db, "SELECT count(*) FROM living_map_rejected_events"))
          .as("malformed messages stored once each")
          .isEqualTo(malformed);

      // Converged: every replica applied the whole stream and serves the same snapshot.
      long lastValid = lastValidSeq(db);
      for (Http http : https) {
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  JsonObject cl = cluster(http);
                  return cl.getLong("applied_seq") == lastValid && cl.getLong("lag") == 0;
                });
      }
      List<String> bodies = new ArrayList<>();
      for (Http http : https) {
        Http.Response r = http.get("/living-map/snapshot");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().getLong("seq")).isEqualTo(lastValid);
        bodies.add(withoutGeneratedAt(r.body()));
      }
      assertThat(bodies.get(1)).as("replica 2 = replica 1").isEqualTo(bodies.get(0));
      assertThat(bodies.get(2)).as("restarted replica 3 = replica 1").isEqualTo(bodies.get(0));
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> holders(https).size() == 1);

      // The client resumed on the survivor: every valid seq after its first snapshot, once.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> client.position() == lastValid);
      assertThat(client.reconnects()).as("reconnected after the kill").isGreaterThanOrEqualTo(1);
      assertThat(client.snapshotReasons())
          .as("no resync: resumed from a ring; frames other than events: %s", notes)
          .doesNotContain("resync");
      assertThat(client.resumes()).as("resumed on another replica: %s", notes).isPositive();
      assertThat(client.gaps()).isZero();
      assertThat(client.duplicates()).as("duplicates dropped by the client").isZero();
      List<Long> seqs = client.seqs();
      assertThat(new HashSet<>(seqs)).hasSameSizeAs(seqs);
      assertThat(seqs).isSorted();
      assertThat(seqs)
          .as("every event after the first snapshot")
          .isEqualTo(validSeqsAfter(db, start));
      assertThat(start).as("connected before most of the publishing").isLessThan(N / 5);
      JsonObject snapshot = new JsonObject(bodies.get(0));
      Set<String> checked = new HashSet<>();
      for (Object o :
          snapshot.getJsonObject("layers").getJsonObject("nodes").getJsonArray("items")) {
        JsonObject item = (JsonObject) o;
        String id = item.getString("id");
        if (!id.startsWith("node:rep-")) {
          continue;
        }
        JsonObject mine = client.item(id);
        assertThat(mine).as(id).isNotNull();
        assertThat(mine.getJsonObject("metrics").getDouble("cpu"))
            .as(id + " cpu")
            .isEqualTo(item.getJsonObject("metrics").getDouble("cpu"));
        checked.add(id);
      }
      assertThat(checked).hasSize(NODES);
      client.close();
    } finally {
      for (ServiceProcess p : replicas) {
        p.close();
      }
      vertx.close();
    }
  }

  /** Indexes of the replicas that say they hold the shared-jobs lease (down ones say nothing). */
  private static List<Integer> holders(List<Http> https) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < https.size(); i++) {
      try {
        if (cluster(https.get(i)).getBoolean("shared_jobs")) {
          out.add(i);
        }
      } catch (RuntimeException down) {
        // not answering: killed
      }
    }
    return out;
  }

  private static JsonObject cluster(Http http) {
    return http.get("/living-map/health").json().getJsonObject("checks").getJsonObject("cluster");
  }

  private static String withoutGeneratedAt(String body) {
    return body.replaceAll("\"generated_at\":\"[^\"]*\"", "\"generated_at\":\"-\"");
  }

  private static long historyRows(TestDatabase.Fresh db) {
    try {
      return count(
          db, "SELECT count(*) FROM living_map_history WHERE payload->>'run' = 'replicas'");
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return 0;
      }
      throw new IllegalStateException(e);
    }
  }

  private static long lastValidSeq(TestDatabase.Fresh db) throws SQLException {
    return count(db, "SELECT max(seq) FROM living_map_history");
  }

  private static List<Long> validSeqsAfter(TestDatabase.Fresh db, long after) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (var c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT seq FROM living_map_history WHERE seq > ? ORDER BY seq")) {
      ps.setLong(1, after);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  private static long count(TestDatabase.Fresh db, String sql) throws SQLException {
    try (var c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
