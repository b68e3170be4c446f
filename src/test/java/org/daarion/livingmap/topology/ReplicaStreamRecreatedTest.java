package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.stream.client.LivingMapStreamClient;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 part 4: the shared stream is deleted and recreated while two replicas run. Both follow
 * the new epoch without a restart: their health shows it, the state they held is kept and the new
 * stream's events change it, a connected stream client gets a resync snapshot of the new epoch and
 * then every new event once, a resume with the old epoch gets a resync, and history stores the new
 * stream's events (under their epoch, not dropped as duplicates of the old stream's ids), each
 * once.
 */
// a system test: several processes or replicas, tens of seconds; left out of the fast loop
@Tag("system")
class ReplicaStreamRecreatedTest {
  private static final String STREAM = "LIVING_MAP";
  // Fewer events in the new epoch than in the old: its positions (and cluster mode's state
  // versions, which are the positions) stay below the old epoch's last, so nothing cached at an
  // old position can pass for a new one.
  private static final int BEFORE = 150;
  private static final int AFTER = 120;
  private static final int NODES = 5;

  @Test
  void bothReplicasFollowARecreatedStream() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    Vertx vertx = Vertx.vertx();
    List<Application> apps = new ArrayList<>();
    List<JsonObject> snapshots = new CopyOnWriteArrayList<>();
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url())) {
      for (int r = 1; r <= 2; r++) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", db.databaseUrl());
        env.put("NATS_URL", nats.url());
        env.put("LIVING_MAP_NATS_MODE", "jetstream");
        env.put("LIVING_MAP_SIMULATOR", "off");
        env.put("LIVING_MAP_REPLICA_ID", "epoch-" + r);
        apps.add(TestApps.start(TestApps.config(env)));
      }
      List<Http> https = apps.stream().map(a -> new Http(a.port())).toList();
      JetStreamManagement jsm = raw.jetStreamManagement();
      StreamInfo first = jsm.getStreamInfo(STREAM);
      String oldEpoch = epochOf(first);
      for (Http http : https) {
        assertThat(cluster(http).getString("epoch")).isEqualTo(oldEpoch);
      }

      publish(nats, 0, BEFORE, "old");
      for (Http http : https) {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> cluster(http).getLong("applied_seq") == BEFORE);
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> rows(db, oldEpoch) == BEFORE);

      LivingMapStreamClient client =
          new LivingMapStreamClient(
              vertx,
              new LivingMapStreamClient.Options()
                  .host("127.0.0.1")
                  .port(apps.get(1).port())
                  .keepSeqs(true)
                  .onFrame(
                      f -> {
                        if ("snapshot".equals(f.getString("kind"))) {
                          snapshots.add(f.copy().put("data", (Object) null));
                        }
                      }));
      client.connect().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(client.epoch()).isEqualTo(oldEpoch);
      assertThat(client.position()).isEqualTo(BEFORE);

      // Recreated under the same name and configuration: its sequences start again at 1.
      StreamConfiguration config = first.getConfiguration();
      jsm.deleteStream(STREAM);
      StreamInfo second = jsm.addStream(StreamConfiguration.builder(config).build());
      String newEpoch = epochOf(second);
      assertThat(newEpoch).isNotEqualTo(oldEpoch);

      // Noticed while the new stream is still empty: no message has to come first.
      for (Http http : https) {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> newEpoch.equals(cluster(http).getString("epoch")));
        assertThat(cluster(http).getLong("applied_seq")).isZero();
        assertThat(cluster(http).getLong("epoch_changes")).isEqualTo(1);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> newEpoch.equals(client.epoch()));
      assertThat(client.position()).isZero();
      assertThat(client.lastSnapshot().toString()).contains("epoch-old-only");

      publish(nats, BEFORE, AFTER, "new");

      for (Http http : https) {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> {
                  JsonObject c = cluster(http);
                  return newEpoch.equals(c.getString("epoch"))
                      && c.getLong("applied_seq") == AFTER
                      && c.getLong("lag") == 0;
                });
        assertThat(
                http.get("/living-map/health")
                    .json()
                    .getJsonObject("checks")
                    .getJsonObject("state")
                    .getString("epoch"))
            .isEqualTo(newEpoch);
        // The state is kept: a node only the old stream spoke of is still there, and the others
        // carry the new stream's last values.
        assertThat(http.get("/living-map/entities/node:epoch-old-only").status()).isEqualTo(200);
        for (int n = 0; n < NODES; n++) {
          int lastForNode = lastIndexFor(n);
          JsonObject node = http.get("/living-map/entities/node:epoch-" + n).json();
          assertThat(node.getJsonObject("data").getJsonObject("metrics").getDouble("cpu"))
              .isEqualTo((double) lastForNode);
        }
        // The served snapshot is coalesced (prepared at most every
        // LIVING_MAP_SNAPSHOT_PREPARE_INTERVAL), so it reaches the applied position a moment
        // later.
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () -> {
                  JsonObject snap = http.get("/living-map/snapshot").json();
                  return newEpoch.equals(snap.getString("epoch")) && snap.getLong("seq") == AFTER;
                });
      }

      // The connected client was resynchronised into the new epoch, then got every new event.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> newEpoch.equals(client.epoch()) && client.position() == AFTER);
      assertThat(snapshots)
          .as("a resync snapshot of the new epoch")
          .anyMatch(
              f -> "resync".equals(f.getString("reason")) && newEpoch.equals(f.getString("epoch")));
      assertThat(client.gaps()).isZero();
      assertThat(client.duplicates()).isZero();
      List<Long> seqs = client.seqs();
      assertThat(new HashSet<>(seqs)).hasSameSizeAs(seqs);

      // A resume with the old epoch gets a resync snapshot of the new one.
      LivingMapStreamClient late =
          new LivingMapStreamClient(
              vertx,
              new LivingMapStreamClient.Options()
                  .host("127.0.0.1")
                  .port(apps.get(0).port())
                  .param("since_seq", Long.toString(BEFORE - 10))
                  .param("epoch", oldEpoch));
      late.connect().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(late.snapshotReasons()).containsExactly("resync");
      assertThat(late.epoch()).isEqualTo(newEpoch);
      assertThat(late.position()).isEqualTo(AFTER);
      late.close();
      client.close();

      // A replica started after the change has the kept state too (from the snapshot of the new
      // epoch the lease holder stored), and the new stream's events on it.
      Map<String, String> env3 = new HashMap<>();
      env3.put("DATABASE_URL", db.databaseUrl());
      env3.put("NATS_URL", nats.url());
      env3.put("LIVING_MAP_NATS_MODE", "jetstream");
      env3.put("LIVING_MAP_SIMULATOR", "off");
      env3.put("LIVING_MAP_REPLICA_ID", "epoch-3");
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> snapshotsOf(db, newEpoch) > 0);
      apps.add(TestApps.start(TestApps.config(env3)));
      Http third = new Http(apps.get(2).port());
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                JsonObject c = cluster(third);
                return newEpoch.equals(c.getString("epoch")) && c.getLong("applied_seq") == AFTER;
              });
      assertThat(third.get("/living-map/entities/node:epoch-old-only").status()).isEqualTo(200);
      // Equal once the third replica's coalesced snapshot has caught up with its state.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(
              () ->
                  assertThat(withoutGeneratedAt(third.get("/living-map/snapshot").body()))
                      .isEqualTo(
                          withoutGeneratedAt(https.get(0).get("/living-map/snapshot").body())));

      // History: both epochs whole, each event once.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> rows(db, newEpoch) == AFTER);
      assertThat(rows(db, oldEpoch)).isEqualTo(BEFORE);
      try (var c = db.connect();
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT count(*), count(DISTINCT seq), min(seq), max(seq),"
                      + " count(*) FILTER (WHERE msg_id = 'js:' || epoch || ':' || seq)"
                      + " FROM living_map_history WHERE epoch = ?")) {
        ps.setString(1, newEpoch);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(AFTER);
          assertThat(rs.getLong(2)).isEqualTo(AFTER);
          assertThat(rs.getLong(3)).isEqualTo(1);
          assertThat(rs.getLong(4)).isEqualTo(AFTER);
          assertThat(rs.getLong(5)).as("ids carry the epoch").isEqualTo(AFTER);
        }
      }
      try (var c = db.connect();
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT count(*) FROM living_map_history WHERE payload->>'run' = 'new'");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(AFTER);
      }
    } finally {
      apps.forEach(Application::close);
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * An upgrade in cluster mode: history holds rows under ids without the epoch ({@code
   * js:<stream>:<seq>}) and the shared durable consumer delivers the whole stream again (made
   * anew). The rows are not stored again: history's unique {@code (epoch, seq)} is the stream
   * position, the same for an old-form and a new-form row of one message.
   */
  @Test
  void rowsStoredUnderTheOldIdFormAreNotStoredAgainAfterTheUpgrade() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url())) {
      Map<String, String> env = TestApps.jetStreamEnv(db.databaseUrl(), nats.url());
      env.put("LIVING_MAP_REPLICA_ID", "upgrade-1");
      JetStreamManagement jsm = raw.jetStreamManagement();
      String epoch;
      try (Application app = TestApps.start(TestApps.config(env))) {
        epoch = epochOf(jsm.getStreamInfo(STREAM));
        publish(nats, 0, BEFORE, "old");
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> rows(db, epoch) == BEFORE);
      }
      try (var c = db.connect();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE living_map_history SET msg_id = 'js:" + STREAM + ":' || seq")) {
        assertThat(ps.executeUpdate()).isEqualTo(BEFORE);
      }
      jsm.deleteConsumer(STREAM, "living-map");
      try (Application app = TestApps.start(TestApps.config(env))) {
        publish(nats, BEFORE, AFTER, "after-upgrade");
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () ->
                    jsm.getConsumerInfo(STREAM, "living-map").getAckFloor().getStreamSequence()
                        == BEFORE + AFTER);
        assertThat(rows(db, epoch)).isEqualTo(BEFORE + AFTER);
        try (var c = db.connect();
            PreparedStatement ps =
                c.prepareStatement(
                    "SELECT count(*), count(DISTINCT seq) FROM living_map_history"
                        + " WHERE msg_id LIKE 'js:"
                        + epoch
                        + ":%'");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1))
              .as("new-form rows: the events after the upgrade")
              .isEqualTo(AFTER);
          assertThat(rs.getLong(2)).isEqualTo(AFTER);
        }
      }
    }
  }

  /** The index of the last event published for node {@code n} (the new stream's). */
  private static int lastIndexFor(int n) {
    int last = -1;
    for (int i = BEFORE; i < BEFORE + AFTER; i++) {
      if (i % NODES == n) {
        last = i;
      }
    }
    return last;
  }

  private static String epochOf(StreamInfo info) {
    return STREAM + "-" + info.getCreateTime().toInstant().toEpochMilli();
  }

  /** Events {@code from..from+count-1}; the old stream's first one is about a node of its own. */
  static void publish(NatsServerProcess nats, int from, int count, String run) throws Exception {
    try (NatsPublisher p =
        NatsPublisher.connect(nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      for (int i = from; i < from + count; i++) {
        String node = i == 0 ? "epoch-old-only" : "epoch-" + (i % NODES);
        p.publish(
            "node.metrics." + node,
            new JsonObject()
                .put("node_id", node)
                .put("cpu", (double) i)
                .put("run", run)
                .encode()
                .getBytes(StandardCharsets.UTF_8),
            run + "-" + i);
      }
      p.flush(Duration.ofSeconds(30));
      assertThat(p.failed()).isZero();
    }
  }

  private static JsonObject cluster(Http http) {
    return http.get("/living-map/health").json().getJsonObject("checks").getJsonObject("cluster");
  }

  private static long snapshotsOf(TestDatabase.Fresh db, String epoch) throws Exception {
    try (var c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM living_map_snapshots WHERE epoch = ?")) {
      ps.setString(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static String withoutGeneratedAt(String body) {
    return body.replaceAll("\"generated_at\":\"[^\"]*\"", "");
  }

  private static long rows(TestDatabase.Fresh db, String epoch) throws Exception {
    try (var c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM living_map_history WHERE epoch = ?")) {
      ps.setString(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
