package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 part 4, single instance: the JetStream stream is deleted and recreated while the service
 * runs. The new stream's events, whose sequences start again at 1, are applied and stored (their
 * ids carry the new epoch), each once; the old stream's rows stay.
 */
class JetStreamRecreatedTest {
  private static final String STREAM = "LIVING_MAP";
  private static final int BEFORE = 80;
  private static final int AFTER = 100;

  @Test
  void aRecreatedStreamIsIngestedAndStored() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url())) {
      Map<String, String> env = TestApps.jetStreamEnv(db.databaseUrl(), nats.url());
      try (Application app = TestApps.start(TestApps.config(env))) {
        Http http = new Http(app.port());
        JetStreamManagement jsm = raw.jetStreamManagement();
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> jsm.getStreamNames().contains(STREAM));
        StreamInfo first = jsm.getStreamInfo(STREAM);
        String oldEpoch = epochOf(first);
        ReplicaStreamRecreatedTest.publish(nats, 0, BEFORE, "old");
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> rows(db, "js:" + oldEpoch + ":%") == BEFORE);

        jsm.deleteStream(STREAM);
        StreamInfo second =
            jsm.addStream(StreamConfiguration.builder(first.getConfiguration()).build());
        String newEpoch = epochOf(second);
        assertThat(newEpoch).isNotEqualTo(oldEpoch);
        ReplicaStreamRecreatedTest.publish(nats, BEFORE, AFTER, "new");

        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> rows(db, "js:" + newEpoch + ":%") == AFTER);
        assertThat(rows(db, "js:" + oldEpoch + ":%")).isEqualTo(BEFORE);
        try (var c = db.connect();
            PreparedStatement ps =
                c.prepareStatement(
                    "SELECT count(*), count(DISTINCT msg_id), count(DISTINCT seq),"
                        + " count(*) FILTER (WHERE payload->>'run' = 'new')"
                        + " FROM living_map_history");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(BEFORE + AFTER);
          assertThat(rs.getLong(2)).isEqualTo(BEFORE + AFTER);
          assertThat(rs.getLong(3)).isEqualTo(BEFORE + AFTER);
          assertThat(rs.getLong(4)).isEqualTo(AFTER);
        }
        // Applied to the live state too, not taken for the old stream's sequences again.
        int last = BEFORE + AFTER - 1;
        JsonObject node = http.get("/living-map/entities/node:epoch-" + (last % 5)).json();
        assertThat(node.getJsonObject("data").getJsonObject("metrics").getDouble("cpu"))
            .isEqualTo((double) last);
        assertThat(http.get("/living-map/entities/node:epoch-old-only").status()).isEqualTo(200);
      }
    }
  }

  /**
   * An upgrade from ids without the epoch: history holds the stream's rows under {@code
   * js:<stream>:<seq>} and the durable consumer delivers them all again (made anew). They are not
   * stored a second time, and the stream keeps the old form until it is recreated.
   */
  @Test
  void rowsStoredUnderTheOldIdFormAreNotStoredAgainAfterTheUpgrade() throws Exception {
    TestDatabase.Fresh db = TestDatabase.create();
    try (NatsServerProcess nats = NatsServerProcess.start();
        Connection raw = Nats.connect(nats.url())) {
      Map<String, String> env = TestApps.jetStreamEnv(db.databaseUrl(), nats.url());
      JetStreamManagement jsm = raw.jetStreamManagement();
      String epoch;
      try (Application app = TestApps.start(TestApps.config(env))) {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> jsm.getStreamNames().contains(STREAM));
        epoch = epochOf(jsm.getStreamInfo(STREAM));
        ReplicaStreamRecreatedTest.publish(nats, 0, BEFORE, "old");
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> rows(db, "js:" + epoch + ":%") == BEFORE);
      }
      // As the version before wrote them; and a consumer made anew delivers the stream again.
      try (var c = db.connect();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE living_map_history SET msg_id = 'js:"
                      + STREAM
                      + ":' || seq"
                      + " WHERE msg_id LIKE 'js:%'")) {
        ps.executeUpdate();
      }
      assertThat(rows(db, "js:" + STREAM + ":%")).isEqualTo(BEFORE);
      jsm.deleteConsumer(STREAM, "living-map");

      try (Application app = TestApps.start(TestApps.config(env))) {
        ReplicaStreamRecreatedTest.publish(nats, BEFORE, AFTER, "after-upgrade");
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () ->
                    jsm.getConsumerInfo(STREAM, "living-map").getNumAckPending() == 0
                        && jsm.getConsumerInfo(STREAM, "living-map")
                                .getAckFloor()
                                .getStreamSequence()
                            == BEFORE + AFTER);
        assertThat(rows(db, "%"))
            .as("the redelivered rows were not stored again")
            .isEqualTo(BEFORE + AFTER);
        assertThat(rows(db, "js:" + STREAM + ":%")).isEqualTo(BEFORE + AFTER);
        assertThat(rows(db, "js:" + epoch + ":%")).isZero();
      }
    }
  }

  private static String epochOf(StreamInfo info) {
    return STREAM + "-" + info.getCreateTime().toInstant().toEpochMilli();
  }

  private static long rows(TestDatabase.Fresh db, String msgIdLike) throws Exception {
    try (var c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM living_map_history WHERE msg_id LIKE ?")) {
      ps.setString(1, msgIdLike);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
