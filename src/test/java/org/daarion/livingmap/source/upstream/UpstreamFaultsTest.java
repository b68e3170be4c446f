package org.daarion.livingmap.source.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.daarion.livingmap.config.UpstreamSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fault mode on every source: the other sources keep being polled, the failing one shows its
 * state, sends no poll (so the map keeps its last good data), and comes back by itself.
 */
class UpstreamFaultsTest {
  static Vertx vertx;
  static FakeUpstream fake;

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

  static Stream<Arguments> failingModes() {
    List<Arguments> out = new ArrayList<>();
    for (UpstreamSource s : UpstreamSource.values()) {
      for (FakeUpstream.Fault f :
          List.of(
              FakeUpstream.Fault.SLOW,
              FakeUpstream.Fault.ERROR_500,
              FakeUpstream.Fault.GARBAGE,
              FakeUpstream.Fault.WRONG_SHAPE,
              FakeUpstream.Fault.CLOSE)) {
        out.add(Arguments.of(s, f));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("failingModes")
  void aFailingSourceIsIsolatedKeepsItsDataAndRecovers(
      UpstreamSource failing, FakeUpstream.Fault fault) {
    fake.clearFaults();
    fake.resetRequests();
    try (PollerHarness h = new PollerHarness(vertx, fake, Optional.of("secret"))) {
      h.pollNow();
      for (UpstreamSource s : UpstreamSource.values()) {
        assertThat(h.status(s).state()).as(s + " before").isEqualTo(SourceStatus.State.OK);
      }
      Map<UpstreamSource, Integer> before = counts(h);

      fake.fault(failing, fault);
      h.pollNow();
      SourceStatus first = h.status(failing);
      assertThat(first.state()).isEqualTo(SourceStatus.State.DOWN);
      assertThat(first.stale()).isTrue();
      assertThat(first.lastError()).isNotBlank();
      assertThat(first.lastSuccess()).isNotNull();
      assertThat(first.consecutiveFailures()).isEqualTo(1);
      h.pollNow();
      assertThat(h.status(failing).state())
          .as("the second failure opens the circuit")
          .isEqualTo(SourceStatus.State.OPEN_CIRCUIT);
      long requestsWhileOpen = fake.requests().size();
      h.pollNow();
      assertThat(h.status(failing).state()).isEqualTo(SourceStatus.State.OPEN_CIRCUIT);
      assertThat(h.poller.sourcesJson().getJsonObject(failing.serviceName()).getString("state"))
          .isEqualTo("open_circuit");
      assertThat(fake.requests().subList((int) requestsWhileOpen, fake.requests().size()))
          .as("an open circuit sends nothing to the failing source")
          .noneMatch(
              r ->
                  FakeUpstream.PREFIXES.get(failing).stream().anyMatch(p -> r.uri().startsWith(p)));

      Map<UpstreamSource, Integer> during = counts(h);
      assertThat(during.get(failing))
          .as("no poll from the failing source")
          .isEqualTo(before.get(failing));
      for (UpstreamSource s : UpstreamSource.values()) {
        if (s != failing) {
          assertThat(during.get(s)).as(s + " still polled").isEqualTo(before.get(s) + 3);
          assertThat(h.status(s).state()).as(s + " still ok").isEqualTo(SourceStatus.State.OK);
        }
      }

      fake.clearFaults();
      fake.resetRequests();
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .untilAsserted(
              () -> {
                h.pollNow();
                assertThat(h.status(failing).state()).isEqualTo(SourceStatus.State.OK);
              });
      assertThat(h.count(failing)).isGreaterThan(before.get(failing));
      assertThat(h.status(failing).consecutiveFailures()).isZero();
      assertThat(h.status(failing).stale()).isFalse();
    }
  }

  @ParameterizedTest(name = "flapping {0}")
  @MethodSource("sources")
  void aFlappingSourceIsServedByRetriesAndShownDegraded(UpstreamSource flapping) {
    fake.clearFaults();
    fake.resetRequests();
    try (PollerHarness h = new PollerHarness(vertx, fake, Optional.of("secret"))) {
      fake.fault(flapping, FakeUpstream.Fault.FLAPPING);
      h.pollNow();
      h.pollNow();
      assertThat(h.count(flapping)).as("every poll got through on a retry").isEqualTo(2);
      assertThat(h.status(flapping).state()).isEqualTo(SourceStatus.State.DEGRADED);
      assertThat(h.status(flapping).stale()).isFalse();
      // Regression: a poll degraded by retries used to leave last_error empty (null).
      assertThat(h.status(flapping).lastError())
          .as("what the retry absorbed")
          .startsWith("succeeded after retry: ")
          .contains("HTTP 5");
      assertThat(h.status(flapping).lastErrorAt()).isNotNull();
      for (UpstreamSource s : UpstreamSource.values()) {
        if (s != flapping) {
          assertThat(h.status(s).state()).as(s.toString()).isEqualTo(SourceStatus.State.OK);
        }
      }
      fake.clearFaults();
      fake.resetRequests();
      h.pollNow();
      assertThat(h.status(flapping).state()).isEqualTo(SourceStatus.State.OK);
    }
  }

  /**
   * A reply past the byte bound fails that source's poll as a bad payload, once (not retried),
   * while every other source is polled as usual; and a body without end is ended by the deadline.
   * Before the bound the client kept every byte an upstream sent, in a buffer it doubled.
   */
  @Test
  void aReplyOverTheByteBoundOrWithoutEndFailsOnlyItsSource() {
    fake.clearFaults();
    fake.resetRequests();
    try (PollerHarness h =
        new PollerHarness(vertx, fake, Optional.of("secret"), b -> b.maxReplyBytes(1024 * 1024))) {
      h.pollNow();
      assertThat(h.status(UpstreamSource.AGENTS).state()).isEqualTo(SourceStatus.State.OK);
      int agentsBefore = h.count(UpstreamSource.AGENTS);
      Map<UpstreamSource, Integer> before = counts(h);

      fake.fault(UpstreamSource.AGENTS, FakeUpstream.Fault.HUGE);
      fake.resetRequests();
      h.pollNow();
      SourceStatus huge = h.status(UpstreamSource.AGENTS);
      assertThat(huge.state()).isEqualTo(SourceStatus.State.DOWN);
      assertThat(huge.lastError()).contains("reply over 1048576 bytes");
      List<String> agentsAsked =
          fake.requests().stream()
              .map(FakeUpstream.Request::uri)
              .filter(u -> u.startsWith("/agents"))
              .toList();
      assertThat(agentsAsked)
          .as("a reply too large is not asked for again within the poll")
          .isNotEmpty()
          .doesNotHaveDuplicates();
      assertThat(h.count(UpstreamSource.AGENTS)).isEqualTo(agentsBefore);
      for (UpstreamSource s : UpstreamSource.values()) {
        if (s != UpstreamSource.AGENTS) {
          assertThat(h.count(s)).as(s + " still polled").isEqualTo(before.get(s) + 1);
          assertThat(h.status(s).state()).as(s + " still ok").isEqualTo(SourceStatus.State.OK);
        }
      }

      fake.clearFaults();
      fake.fault(UpstreamSource.AGENTS, FakeUpstream.Fault.ENDLESS);
      long started = System.nanoTime();
      h.pollNow();
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("the deadline ends a body without end (400 ms per try, 2 tries)")
          .isLessThan(Duration.ofSeconds(10));
      assertThat(h.status(UpstreamSource.AGENTS).lastError()).contains("timeout after");
      assertThat(h.count(UpstreamSource.AGENTS)).isEqualTo(agentsBefore);
    }
  }

  static Stream<UpstreamSource> sources() {
    return Stream.of(UpstreamSource.values());
  }

  @Test
  void aFlappingSourceWithoutRetriesAlternatesAndNeverOpensTheCircuitForGood() {
    fake.clearFaults();
    fake.resetRequests();
    try (PollerHarness h =
        new PollerHarness(
            vertx,
            fake,
            Optional.of("secret"),
            b ->
                b.policy(
                    UpstreamSource.USAGE,
                    PollerHarness.fastPolicy()
                        .withRetries(1, Duration.ofMillis(10))
                        .withBreaker(10, 10, 100f, Duration.ofMillis(100))))) {
      fake.fault(UpstreamSource.USAGE, FakeUpstream.Fault.FLAPPING);
      List<SourceStatus.State> seen = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        h.pollNow();
        seen.add(h.status(UpstreamSource.USAGE).state());
      }
      assertThat(seen)
          .containsExactly(
              SourceStatus.State.DOWN,
              SourceStatus.State.OK,
              SourceStatus.State.DOWN,
              SourceStatus.State.OK);
      assertThat(h.count(UpstreamSource.USAGE)).isEqualTo(2);
    }
  }

  @Test
  void aSourceRecoversByItselfOnThePeriodicTimer() {
    fake.clearFaults();
    fake.resetRequests();
    fake.fault(UpstreamSource.DAO, FakeUpstream.Fault.ERROR_500);
    try (PollerHarness h =
        new PollerHarness(
            vertx, fake, Optional.of("secret"), b -> b.interval(Duration.ofMillis(100)))) {
      h.poller.start();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> h.status(UpstreamSource.DAO).state() == SourceStatus.State.OPEN_CIRCUIT);
      assertThat(h.count(UpstreamSource.DAO)).isZero();
      assertThat(h.count(UpstreamSource.CITY)).isPositive();
      fake.clearFaults();
      fake.resetRequests();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> h.status(UpstreamSource.DAO).state() == SourceStatus.State.OK);
      assertThat(h.count(UpstreamSource.DAO)).isPositive();
    }
  }

  @Test
  void aSlowSourceNeverDelaysTheOthers() {
    fake.clearFaults();
    fake.resetRequests();
    fake.fault(UpstreamSource.SPACE, FakeUpstream.Fault.SLOW);
    try (PollerHarness h =
        new PollerHarness(
            vertx,
            fake,
            Optional.of("secret"),
            b ->
                b.policy(
                    UpstreamSource.SPACE,
                    PollerHarness.fastPolicy()
                        .withTimeout(Duration.ofSeconds(3))
                        .withRetries(1, Duration.ofMillis(10))))) {
      long t0 = System.nanoTime();
      var all = h.poller.pollNow();
      await()
          .atMost(Duration.ofSeconds(2))
          .until(
              () ->
                  Stream.of(UpstreamSource.values())
                      .filter(s -> s != UpstreamSource.SPACE)
                      .allMatch(s -> h.count(s) == 1));
      long othersMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(all.isComplete()).as("pollNow waits for the slow source").isFalse();
      assertThat(h.poller.sourcesJson().getJsonObject("city-service").getString("state"))
          .isEqualTo("ok");
      PollerHarness.await(all);
      long allMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(othersMs).isLessThan(1500);
      assertThat(allMs).isGreaterThanOrEqualTo(3000);
      assertThat(h.status(UpstreamSource.SPACE).state()).isEqualTo(SourceStatus.State.DOWN);
      assertThat(h.status(UpstreamSource.SPACE).lastError()).startsWith("timeout after 3000 ms");
    }
  }

  @Test
  void pollsOfOneSourceNeverOverlap() {
    // A server of its own: a late request left over from another test must not be counted here.
    try (FakeUpstream own = new FakeUpstream(vertx)) {
      pollsOfOneSourceNeverOverlap(own);
    }
  }

  private void pollsOfOneSourceNeverOverlap(FakeUpstream fake) {
    fake.fault(UpstreamSource.USAGE, FakeUpstream.Fault.SLOW);
    try (PollerHarness h =
        new PollerHarness(
            vertx,
            fake,
            Optional.of("secret"),
            b ->
                b.policy(
                    UpstreamSource.USAGE,
                    PollerHarness.fastPolicy()
                        .withTimeout(Duration.ofMillis(800))
                        .withRetries(1, Duration.ofMillis(10))))) {
      var a = h.poller.pollNow();
      var b = h.poller.pollNow();
      var c = h.poller.pollNow();
      PollerHarness.await(a);
      PollerHarness.await(b);
      PollerHarness.await(c);
      assertThat(fake.count("/internal/usage/summary?period_hours=24")).isEqualTo(1);
      assertThat(h.status(UpstreamSource.USAGE).pollsFailed()).isEqualTo(1);
    }
  }

  private static Map<UpstreamSource, Integer> counts(PollerHarness h) {
    Map<UpstreamSource, Integer> out = new EnumMap<>(UpstreamSource.class);
    for (UpstreamSource s : UpstreamSource.values()) {
      out.put(s, h.count(s));
    }
    return out;
  }
}
