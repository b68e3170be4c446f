package org.daarion.livingmap.source.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The owning service's view of an entity: fetched, cached briefly, never a failure. */
class UpstreamDetailTest {
  static Vertx vertx;
  static FakeUpstream fake;

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    final AtomicReference<Instant> now =
        new AtomicReference<>(Instant.parse("2025-01-01T00:00:00Z"));

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }
  }

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    fake = new FakeUpstream(vertx);
    PollerHarness.warmUp(vertx, fake);
  }

  @AfterAll
  static void stop() {
    fake.close();
    PollerHarness.await(vertx.close());
  }

  static final String SOFIA_UUID = "a9000007-0000-4000-8000-000000000001";

  @Test
  void agentDetailIsFetchedByUuidAndCachedForTenSeconds() {
    fake.clearFaults();
    fake.resetRequests();
    ManualClock clock = new ManualClock();
    try (PollerHarness h =
        new PollerHarness(vertx, fake, Optional.of("secret"), b -> b.clock(clock))) {
      JsonObject extra = new JsonObject().put("uuid", SOFIA_UUID);
      JsonObject d =
          PollerHarness.await(
              h.poller.upstreamDetail("agent", "agent:sofia", new JsonObject(), extra));
      assertThat(d.getString("source")).isEqualTo("agents-service");
      assertThat(d.getBoolean("stale")).isFalse();
      assertThat(d.getJsonObject("data").getString("external_id")).isEqualTo("agent:sofia");
      PollerHarness.await(h.poller.upstreamDetail("agent", "agent:sofia", new JsonObject(), extra));
      assertThat(fake.count("/agents/" + SOFIA_UUID)).as("served from cache").isEqualTo(1);

      clock.advance(Duration.ofSeconds(11));
      fake.fault("/agents", FakeUpstream.Fault.ERROR_500);
      JsonObject stale =
          PollerHarness.await(
              h.poller.upstreamDetail("agent", "agent:sofia", new JsonObject(), extra));
      assertThat(stale.getBoolean("stale")).isTrue();
      assertThat(stale.getString("error")).contains("HTTP 500");
      assertThat(stale.getJsonObject("data").getString("external_id"))
          .as("the last good answer is kept")
          .isEqualTo("agent:sofia");
      assertThat(fake.count("/agents/" + SOFIA_UUID)).as("no retries for details").isEqualTo(2);
    }
  }

  @Test
  void detailsNeverFailAndSayWhenThereIsNothing() {
    fake.clearFaults();
    try (PollerHarness h = new PollerHarness(vertx, fake, Optional.of("secret"))) {
      JsonObject dao =
          PollerHarness.await(
              h.poller.upstreamDetail(
                  "dao",
                  "dao:daarion-governance",
                  new JsonObject().put("slug", "daarion-governance"),
                  null));
      assertThat(dao.getJsonObject("data").getLong("active_proposals_count")).isEqualTo(1);
      assertThat(dao.getString("path")).isEqualTo("/dao/daarion-governance");

      JsonObject node =
          PollerHarness.await(
              h.poller.upstreamDetail("node", "node:node-1-hetzner-gex44", null, null));
      assertThat(node.getJsonObject("data").getString("hostname")).isEqualTo("144.76.224.179");

      JsonObject missing =
          PollerHarness.await(h.poller.upstreamDetail("dao", "dao:nope", new JsonObject(), null));
      assertThat(missing.getBoolean("stale")).isTrue();
      assertThat(missing.getString("error")).contains("404");

      fake.fault("/microdao", FakeUpstream.Fault.SLOW);
      long t0 = System.nanoTime();
      JsonObject slow =
          PollerHarness.await(
              h.poller.upstreamDetail(
                  "microdao",
                  "microdao:daarion",
                  new JsonObject().put("slug", "daarion-city"),
                  null));
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2000);
      assertThat(slow.getString("error")).startsWith("timeout");

      JsonObject channel =
          PollerHarness.await(h.poller.upstreamDetail("channel", "channel:x", null, null));
      assertThat(channel.getBoolean("available")).isFalse();
    }
  }
}
