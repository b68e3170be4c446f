package org.daarion.livingmap.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.simulator.Simulator;
import org.daarion.livingmap.source.nats.NatsPublisher;
import org.daarion.livingmap.state.StateCodec;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.daarion.livingmap.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: what upstream polls teach besides map fields (aliases from upstream keys to entity ids,
 * entities' upstream {@code extra} fields, the set of sources that list each entity) reaches every
 * replica through the stream, like the map fields: two replicas polling the same upstreams hold the
 * same aliases, extras and source sets, at the same seq.
 */
// a system test: several processes or replicas, tens of seconds; left out of the fast loop
@Tag("system")
class ReplicaPollMetaTest {
  @Test
  void aliasesExtrasAndSourceSetsAreTheSameOnEveryReplica() throws Exception {
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
          env.put("LIVING_MAP_REPLICA_ID", "meta-" + r);
          env.put("LIVING_MAP_POLL_INTERVAL", "1s");
          env.put("LIVING_MAP_UPSTREAM_TOKEN", sim.serviceToken());
          for (UpstreamSource s : UpstreamSource.values()) {
            env.put(s.setting().env(), sim.baseUrl());
          }
          apps.add(TestApps.start(TestApps.config(env)));
        }
        // The pair that matched is the one asserted on: polls land every second, so two fresh cuts
        // taken after the wait can straddle a poll that one replica has applied and the other not.
        AtomicReference<JsonObject[]> matched = new AtomicReference<>();
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(250))
            .until(
                () -> {
                  JsonObject a = comparable(apps.get(0));
                  JsonObject b = comparable(apps.get(1));
                  matched.set(new JsonObject[] {a, b});
                  return !a.getJsonObject("aliases").isEmpty()
                      && withUpstreamExtra(a) > 0
                      && a.equals(b);
                });
        JsonObject a = matched.get()[0];
        JsonObject b = matched.get()[1];
        assertThat(b.getJsonObject("aliases")).isEqualTo(a.getJsonObject("aliases"));
        assertThat(b.getJsonArray("entities")).isEqualTo(a.getJsonArray("entities"));
        assertThat(withUpstreamExtra(a)).isPositive();
        for (Object o : a.getJsonArray("entities")) {
          JsonObject e = (JsonObject) o;
          if (!e.getString("id").startsWith("node:posted")) {
            assertThat(e.getJsonArray("sources")).as(e.getString("id")).isNotEmpty();
          }
        }
      } finally {
        apps.forEach(Application::close);
        sim.stop().toCompletionStage().toCompletableFuture().join();
        simPublisher.close();
      }
    }
  }

  /** The replica's whole state as stored, without the cut's wall time, sources sorted. */
  private static JsonObject comparable(Application app) throws Exception {
    JsonObject dump = StateCodec.dump(app.owner().cut().get(30, TimeUnit.SECONDS)).copy();
    dump.remove("at");
    JsonArray entities = new JsonArray();
    for (Object o : dump.getJsonArray("entities")) {
      JsonObject e = ((JsonObject) o).copy();
      List<String> sorted = new ArrayList<>();
      for (Object s : e.getJsonArray("sources")) {
        sorted.add(String.valueOf(s));
      }
      e.put("sources", new JsonArray(new ArrayList<>(new TreeSet<>(sorted))));
      entities.add(e);
    }
    return dump.put("entities", entities);
  }

  /** Entities with upstream fields in their extra (alert bookkeeping aside). */
  private static long withUpstreamExtra(JsonObject dump) {
    long n = 0;
    for (Object o : dump.getJsonArray("entities")) {
      JsonObject extra = ((JsonObject) o).getJsonObject("extra");
      if (extra.fieldNames().stream()
          .anyMatch(k -> !k.startsWith("alert_") && !k.startsWith("status_"))) {
        n++;
      }
    }
    return n;
  }
}
