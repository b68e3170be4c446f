package org.daarion.livingmap.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.daarion.livingmap.visibility.Visibility;

/**
 * What the visibility filter costs for a class with hidden layers ({@code nodes,agents}). Not a
 * test (surefire does not run it):
 *
 * <pre>
 * mvn -B -q -o test-compile && java -cp "target/classes:target/test-classes:$(mvn -B -q -o \
 *   dependency:build-classpath -Dmdep.outputFile=/dev/stdout)" org.daarion.livingmap.bench.VisibilityBench [scale]
 * </pre>
 *
 * Builds a snapshot shaped like SnapshotBuilder's at {@code scale} times the simulator's default
 * network (12 microDAOs, 5 DAOs, 60 nodes, 200 agents, 24 channels; default scale 100) and reports
 * the time to reduce it for the class (once per snapshot version and class in the service), then
 * the per-event cost of the stream's live path: decode the shared frame, filter, and encode again
 * when something was dropped (an event whose entity is hidden costs only a header check).
 */
public final class VisibilityBench {
  private VisibilityBench() {}

  public static void main(String[] args) {
    int scale = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    Visibility v = Visibility.hiding(Set.of("nodes", "agents"), ref -> ref);
    JsonObject snapshot = snapshot(scale);
    Buffer full = snapshot.toBuffer();
    for (int round = 1; round <= 5; round++) {
      long t0 = System.nanoTime();
      Buffer reduced = v.snapshot(snapshot).toBuffer();
      long t1 = System.nanoTime();
      System.out.printf(
          "round %d: snapshot x%d %,d bytes -> %,d bytes for class %s in %.1f ms%n",
          round, scale, full.length(), reduced.length(), v.key(), (t1 - t0) / 1e6);
    }
    Buffer message =
        new JsonObject()
            .put("kind", "event")
            .put("seq", 123456)
            .put("epoch", "e1")
            .put("event_type", "messaging.message.created")
            .put("timestamp", "2026-12-04T15:00:00Z")
            .put("entity_id", "channel:general")
            .put("entity_type", "channel")
            .put("source_service", "messaging-service")
            .put(
                "payload",
                new JsonObject()
                    .put("channel_id", "general")
                    .put("microdao_id", "daarion")
                    .put("sender_type", "agent")
                    .put("sender_id", "a9000007-0000-4000-8000-000000000003")
                    .put("text", "hello"))
            .toBuffer();
    Buffer microdao =
        new JsonObject()
            .put("kind", "event")
            .put("seq", 123457)
            .put("epoch", "e1")
            .put("event_type", "microdao.event.member_added")
            .put("timestamp", "2026-12-04T15:00:00Z")
            .put("entity_id", "microdao:daarion")
            .put("entity_type", "microdao")
            .put("source_service", "microdao-service")
            .put("payload", new JsonObject().put("microdao_id", "daarion").put("members", 4))
            .toBuffer();
    for (int round = 1; round <= 3; round++) {
      int n = 500_000;
      long t0 = System.nanoTime();
      long bytes = 0;
      for (int i = 0; i < n; i++) {
        JsonObject r = v.event(new JsonObject(message));
        bytes += r.toBuffer().length();
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        JsonObject in = new JsonObject(microdao);
        if (v.event(in) != in) {
          throw new IllegalStateException("a visible event changed");
        }
      }
      long t2 = System.nanoTime();
      long fields = 0;
      for (int i = 0; i < n; i++) {
        fields += new JsonObject(microdao).size();
      }
      long t3 = System.nanoTime();
      System.out.printf(
          "round %d: decode alone %.2f us (%d)%n", round, (t3 - t2) / 1e3 / n, fields / n);
      System.out.printf(
          "round %d: redacted event %.2f us (decode+filter+encode, %d bytes), unchanged event %.2f us"
              + " (decode+filter, shared frame reused)%n",
          round, (t1 - t0) / 1e3 / n, bytes / n, (t2 - t1) / 1e3 / n);
    }
  }

  private static JsonObject snapshot(int scale) {
    JsonArray city = new JsonArray();
    for (int i = 0; i < 12 * scale; i++) {
      city.add(
          new JsonObject()
              .put("id", "microdao:m" + i)
              .put("name", "M " + i)
              .put("slug", "m" + i)
              .put("status", "active")
              .put("agents", 16)
              .put("nodes", 5)
              .put("members", 40)
              .put("description", "a microDAO"));
    }
    JsonArray channels = new JsonArray();
    for (int i = 0; i < 24 * scale; i++) {
      channels.add(
          new JsonObject()
              .put("id", "channel:c" + i)
              .put("microdao_id", "microdao:m" + (i % (12 * scale)))
              .put("status", "active")
              .put("messages_24h", 12));
    }
    JsonArray nodes = new JsonArray();
    JsonArray spaceNodes = new JsonArray();
    for (int i = 0; i < 60 * scale; i++) {
      JsonObject metrics =
          new JsonObject().put("cpu", 0.4).put("gpu", 0.7).put("ram", 0.5).put("disk", 0.3);
      nodes.add(
          new JsonObject()
              .put("id", "node:n" + i)
              .put("microdao_id", "microdao:m" + (i % (12 * scale)))
              .put("status", "online")
              .put("metrics", metrics)
              .put("alerts", new JsonArray()));
      spaceNodes.add(new JsonObject().put("id", "node:n" + i).put("status", "online"));
    }
    JsonArray planets = new JsonArray();
    for (int i = 0; i < 5 * scale; i++) {
      JsonArray orbits = new JsonArray();
      for (int k = 0; k < 12; k++) {
        orbits.add("node:n" + ((i * 12 + k) % (60 * scale)));
      }
      planets.add(
          new JsonObject()
              .put("id", "dao:d" + i)
              .put("type", "dao")
              .put("microdao_id", "microdao:m" + (i % (12 * scale)))
              .put("orbits", orbits));
    }
    JsonArray agents = new JsonArray();
    for (int i = 0; i < 200 * scale; i++) {
      agents.add(
          new JsonObject()
              .put("id", "agent:a" + i)
              .put("microdao_id", "microdao:m" + (i % (12 * scale)))
              .put("status", "online")
              .put("usage", new JsonObject().put("llm_calls_24h", 10).put("tokens_24h", 1000)));
    }
    return new JsonObject()
        .put("generated_at", "2026-12-04T15:00:00Z")
        .put("seq", 1)
        .put("epoch", "e1")
        .put(
            "layers",
            new JsonObject()
                .put("city", new JsonObject().put("items", city).put("channels", channels))
                .put("space", new JsonObject().put("planets", planets).put("nodes", spaceNodes))
                .put("nodes", new JsonObject().put("items", nodes).put("total_cpu", 1.0))
                .put("agents", new JsonObject().put("items", agents).put("total_agents", 1)))
        .put("meta", new JsonObject().put("version", "bench"));
  }
}
