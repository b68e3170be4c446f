package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.PurgeOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.source.nats.NatsTuning;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.ServiceProcess;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: replicas (separate JVMs, cluster mode, one nats-server, one PostgreSQL) behave as one
 * for alerts. A rule fires on both replicas with the same id; an acknowledgement posted to one and
 * a silence created (and another deleted) on the other are seen on both within a second, through
 * the stream; a replica started after all that, from a stored snapshot taken after the actions, has
 * the alert with the same id, its acknowledgement and the silence (from the snapshot alone: the
 * stream's silence events are purged first); history holds the operator events.
 */
// a system test: several processes or replicas, tens of seconds; left out of the fast loop
@Tag("system")
class ReplicaAlertsTest {
  private static final Duration VISIBLE_WITHIN = Duration.ofSeconds(1);

  @Test
  void alertIdsAcksAndSilencesAreTheSameOnEveryReplica() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    Path rules = Files.createTempFile("replica-rules", ".yaml");
    Files.writeString(
        rules,
        """
        rules:
          - name: cpu_hot
            entity_type: node
            field: metrics.cpu
            op: ">"
            value: 0.9
            clear_value: 0.8
            for: 0s
            severity: warning
            message: "{{entity_id}} CPU at {{value}}"
        """);
    List<ServiceProcess> replicas = new ArrayList<>();
    try (NatsServerProcess nats = NatsServerProcess.start();
        NatsPublisher publisher =
            NatsPublisher.connect(
                nats.url(), NatsPublisher.Settings.JETSTREAM, NatsTuning.DEFAULTS)) {
      for (int r = 1; r <= 3; r++) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", db.databaseUrl());
        env.put("NATS_URL", nats.url());
        env.put("LIVING_MAP_NATS_MODE", "jetstream");
        env.put("LIVING_MAP_SIMULATOR", "off");
        env.put("LIVING_MAP_REPLICA_ID", "alerts-" + r);
        env.put("LIVING_MAP_SNAPSHOT_INTERVAL", "2s");
        env.put("LIVING_MAP_ALERT_RULES", rules.toString());
        replicas.add(new ServiceProcess(env, Files.createTempDirectory("living-map-a" + r)));
      }
      replicas.get(0).start();
      replicas.get(1).start();
      Http a = new Http(replicas.get(0).port());
      Http b = new Http(replicas.get(1).port());

      // Two nodes go hot (and one of them hotter again): one alert each, named alike everywhere.
      for (String[] m : new String[][] {{"hot-1", "0.95"}, {"hot-2", "0.97"}, {"hot-1", "0.99"}}) {
        publisher.publish(
            "node.metrics." + m[0],
            new JsonObject()
                .put("node_id", m[0])
                .put("cpu", Double.parseDouble(m[1]))
                .encode()
                .getBytes(StandardCharsets.UTF_8),
            "alerts-" + m[0] + "-" + m[1]);
      }
      publisher.flush(Duration.ofSeconds(30));
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> firing(a).size() == 2 && firing(b).size() == 2);
      Map<String, String> idsA = firing(a);
      assertThat(firing(b)).as("same alert ids on both replicas").isEqualTo(idsA);
      // A client's position on A, from before the operator actions.
      JsonObject early = a.get("/living-map/snapshot").json();
      long since = early.getLong("seq");
      String epoch = early.getString("epoch");
      String hot1 = idsA.get("node:hot-1");
      assertThat(hot1).startsWith("alert-");
      assertThat(b.get("/living-map/alerts/" + hot1).status()).isEqualTo(200);

      // An acknowledgement on B is seen on A within a second.
      Http.Response ack =
          b.post(
              "/living-map/alerts/" + hot1 + "/ack",
              new JsonObject().put("by", "ops-b").put("comment", "looking").encode());
      assertThat(ack.status()).as(ack.body()).isEqualTo(200);
      await()
          .atMost(VISIBLE_WITHIN)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> a.get("/living-map/alerts/" + hot1).json().getBoolean("acked"));
      assertThat(a.get("/living-map/alerts/" + hot1).json().getString("acked_by"))
          .isEqualTo("ops-b");

      // A silence created on A is listed and applied on B within a second.
      Http.Response created =
          a.post(
              "/living-map/silences",
              new JsonObject()
                  .put("matchers", new JsonObject().put("entity_id", "node:hot-2"))
                  .put("duration", "2h")
                  .put("comment", "maintenance")
                  .encode());
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      String silence = created.json().getString("id");
      String hot2 = idsA.get("node:hot-2");
      await()
          .atMost(VISIBLE_WITHIN)
          .pollInterval(Duration.ofMillis(20))
          .until(
              () ->
                  silenceIds(b).contains(silence)
                      && b.get("/living-map/alerts/" + hot2).json().getBoolean("silenced"));
      assertThat(b.get("/living-map/alerts/" + hot1).json().getBoolean("silenced")).isFalse();

      // A second silence, created on B and deleted on A: gone from B within a second.
      Http.Response other =
          b.post(
              "/living-map/silences",
              new JsonObject()
                  .put("matchers", new JsonObject().put("rule", "cpu_hot"))
                  .put("duration", "1h")
                  .encode());
      assertThat(other.status()).as(other.body()).isEqualTo(201);
      String otherId = other.json().getString("id");
      await()
          .atMost(VISIBLE_WITHIN)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> silenceIds(a).contains(otherId));
      assertThat(a.delete("/living-map/silences/" + otherId).status()).isEqualTo(204);
      await()
          .atMost(VISIBLE_WITHIN)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !silenceIds(b).contains(otherId));

      // A replica started later, from a stored snapshot taken after the actions, has them all.
      long lastSeq;
      try (Connection raw = Nats.connect(nats.url())) {
        lastSeq =
            raw.jetStreamManagement()
                .getStreamInfo("LIVING_MAP")
                .getStreamState()
                .getLastSequence();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> storedSnapshotSeq(db) >= lastSeq);
      // History holds the operator actions, each once.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  historyCount(db, "living_map.alert.silence.created") == 2
                      && historyCount(db, "living_map.alert.silence.deleted") == 1);
      // The stream no longer holds the silence events (as after its max_age): the late replica
      // has the silence from the stored snapshot alone, and not the deleted one.
      try (Connection raw = Nats.connect(nats.url())) {
        raw.jetStreamManagement()
            .purgeStream("LIVING_MAP", PurgeOptions.subject("living_map.alert.silence.>"));
      }
      replicas.get(2).start();
      Http c = new Http(replicas.get(2).port());
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> firing(c).equals(idsA));
      JsonObject late = c.get("/living-map/alerts/" + hot1).json();
      assertThat(late.getBoolean("acked")).as(late.encode()).isTrue();
      assertThat(late.getString("acked_by")).isEqualTo("ops-b");
      assertThat(silenceIds(c)).containsExactly(silence);
      assertThat(c.get("/living-map/alerts/" + hot2).json().getBoolean("silenced")).isTrue();

      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  historyCount(db, "living_map.alert.acknowledged") == 1
                      && historyCount(db, "living_map.alert.silence.created") == 2
                      && historyCount(db, "living_map.alert.silence.deleted") == 1);

      // That client resumes on the late replica, whose ring starts after its position: from
      // history, in stream order, every event after its position once, then live. No resync.
      List<Long> expected = historySeqsAfter(db, since);
      assertThat(expected).as("events after the client's position").hasSizeGreaterThan(3);
      List<JsonObject> frames = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.net.http.WebSocket ws =
          java.net.http.HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(
                  java.net.URI.create(
                      "ws://127.0.0.1:"
                          + replicas.get(2).port()
                          + "/living-map/stream?since_seq="
                          + since
                          + "&epoch="
                          + java.net.URLEncoder.encode(
                              epoch == null ? "" : epoch, StandardCharsets.UTF_8)),
                  new Frames(frames))
              .get(30, java.util.concurrent.TimeUnit.SECONDS);
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () ->
                    frames.stream()
                        .anyMatch(
                            f ->
                                "resumed".equals(f.getString("type"))
                                    || "resumed".equals(f.getString("kind"))
                                    || "snapshot".equals(f.getString("type"))
                                    || "snapshot".equals(f.getString("kind"))));
        List<String> kinds =
            frames.stream()
                .map(f -> f.getString("type", f.getString("kind")))
                .filter(k -> !"ping".equals(k))
                .toList();
        assertThat(kinds).as("no resync: %s", frames).doesNotContain("snapshot");
        List<Long> seqs =
            frames.stream()
                .filter(f -> "event".equals(f.getString("type", f.getString("kind"))))
                .map(f -> f.getLong("seq"))
                .toList();
        assertThat(seqs).as("resumed from history, no gap, no duplicate").isEqualTo(expected);
        long prev = since;
        for (JsonObject f : frames) {
          if ("event".equals(f.getString("type", f.getString("kind")))) {
            assertThat(f.getLong("prev_seq")).as(f.encode()).isEqualTo(prev);
            prev = f.getLong("seq");
          }
        }
      } finally {
        ws.abort();
      }
    } finally {
      for (ServiceProcess p : replicas) {
        p.close();
      }
    }
  }

  /** Collects the text frames of a WebSocket as JSON (a message may come in parts). */
  private static final class Frames implements java.net.http.WebSocket.Listener {
    private final List<JsonObject> out;
    private final StringBuilder partial = new StringBuilder();

    Frames(List<JsonObject> out) {
      this.out = out;
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onText(
        java.net.http.WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        out.add(new JsonObject(partial.toString()));
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }

  private static List<Long> historySeqsAfter(TestDatabase.Fresh db, long after)
      throws java.sql.SQLException {
    List<Long> out = new ArrayList<>();
    try (var conn = db.connect();
        PreparedStatement ps =
            conn.prepareStatement(
                "SELECT seq FROM living_map_history WHERE seq > ? ORDER BY seq")) {
      ps.setLong(1, after);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  /** Firing alerts of the replica: entity id to alert id. */
  private static Map<String, String> firing(Http http) {
    Map<String, String> out = new HashMap<>();
    JsonObject body = http.get("/living-map/alerts").json();
    JsonArray items = body.getJsonArray("items");
    for (Object o : items) {
      JsonObject al = (JsonObject) o;
      if ("firing".equals(al.getString("state"))) {
        out.put(al.getString("entity_id"), al.getString("id"));
      }
    }
    return out;
  }

  private static List<String> silenceIds(Http http) {
    List<String> out = new ArrayList<>();
    for (Object o : http.get("/living-map/silences").json().getJsonArray("items")) {
      out.add(((JsonObject) o).getString("id"));
    }
    return out;
  }

  private static long storedSnapshotSeq(TestDatabase.Fresh db) {
    try (var conn = db.connect();
        PreparedStatement ps =
            conn.prepareStatement("SELECT coalesce(max(seq), 0) FROM living_map_snapshots");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      return 0;
    }
  }

  private static long historyCount(TestDatabase.Fresh db, String type) {
    try (var conn = db.connect();
        PreparedStatement ps =
            conn.prepareStatement("SELECT count(*) FROM living_map_history WHERE event_type = ?")) {
      ps.setString(1, type);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (java.sql.SQLException e) {
      return -1;
    }
  }
}
