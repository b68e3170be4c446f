package org.daarion.livingmap.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.Http;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.Test;

/** Issue 13 part 4: {@code /health/ready} answers 503 while NATS is away, 200 when it is back. */
class NatsReadinessTest {
  @Test
  void readinessFollowsTheNatsConnection() throws Exception {
    try (NatsServerProcess nats = NatsServerProcess.start();
        Application app =
            TestApps.start(
                TestApps.config(
                    Map.of(
                        "NATS_URL", nats.url(),
                        "LIVING_MAP_NATS_MODE", "core",
                        "LIVING_MAP_SIMULATOR", "off")))) {
      Http http = new Http(app.port());
      Duration wait = Duration.ofSeconds(30);
      await().atMost(wait).until(() -> http.get("/living-map/health/ready").status() == 200);

      nats.stop();
      await().atMost(wait).until(() -> http.get("/living-map/health/ready").status() == 503);
      Http.Response ready = http.get("/living-map/health/ready");
      assertThat(ready.json().getJsonObject("failing").getJsonObject("nats")).isNotNull();

      nats.startAgain();
      await().atMost(wait).until(() -> http.get("/living-map/health/ready").status() == 200);
    }
  }
}
