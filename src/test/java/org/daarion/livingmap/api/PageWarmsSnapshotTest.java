package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.api.http.ApiServer;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Serving the web UI's page starts preparing the snapshot its stream worker asks for next, so that
 * request does not wait for a preparation after a quiet spell; a JSON caller of the same path
 * starts nothing.
 */
class PageWarmsSnapshotTest {
  private final Vertx vertx = Vertx.vertx();
  private final ExecutorService workers = Executors.newFixedThreadPool(2);
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private StateOwner owner;
  private SnapshotService snapshots;
  private ApiServer api;
  private int port;

  @BeforeEach
  void start() throws Exception {
    Assumptions.assumeTrue(
        getClass().getClassLoader().getResource("webroot/index.html") != null,
        "the web UI is built into target/classes/webroot");
    owner = new StateOwner(new LiveState("e1", 0), 100_000, Clock.systemUTC());
    owner.start();
    // on demand: nothing is prepared until someone asks
    snapshots = new SnapshotService(owner, workers, () -> new JsonObject().put("version", "t"));
    api =
        new ApiServer(
            vertx,
            Config.of(Map.of("PORT", "0")),
            "t",
            List.of(new SnapshotRoutes(snapshots, null)),
            org.daarion.livingmap.api.security.Security.open(vertx),
            null);
    port = api.start().await();
  }

  @AfterEach
  void stop() throws Exception {
    if (api == null) {
      return;
    }
    api.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    owner.close();
    snapshots.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    workers.shutdownNow();
  }

  private HttpResponse<String> get(String accept) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/"))
            .header("Accept", accept)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theSnapshotIsPreparedWhenThePageIsServed() throws Exception {
    assertThat(get("application/json").body()).contains("living-map-service");
    assertThat(snapshots.preparations()).isZero();

    HttpResponse<String> page = get("text/html,application/xhtml+xml");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("early-stream.js");
    await().atMost(Duration.ofSeconds(10)).until(() -> snapshots.preparations() == 1);
  }
}
