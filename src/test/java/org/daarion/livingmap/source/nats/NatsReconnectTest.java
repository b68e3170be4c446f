package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The server goes away and comes back; the service must not need a hand. */
class NatsReconnectTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private NatsServerProcess server;
  private NatsIngest ingest;
  private NatsPublisher publisher;

  @AfterEach
  void tearDown() {
    if (ingest != null) {
      ingest.close();
    }
    if (publisher != null) {
      publisher.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private Config config(String mode) {
    return IngestProbe.config(
        server.url(),
        mode,
        Map.of("LIVING_MAP_NATS_STREAM", "LM_RESTART", "LIVING_MAP_NATS_DURABLE", "lm-restart"));
  }

  /**
   * JetStream: every message published in a loop that spans a server restart (graceful, or a
   * SIGKILL crash) reaches the intake at least once.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"graceful restart", "kill, outage, start"})
  void jetStreamIngestGetsEveryMessageAcrossAServerRestart(String how) throws Exception {
    server = NatsServerProcess.start();
    NatsTuning tuning = IngestProbe.fastTuning().toBuilder().ackWait(Duration.ofSeconds(2)).build();
    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = new NatsIngest(config("jetstream"), probe.intake, tuning);
    ingest.start();
    await().atMost(WAIT).until(ingest::isReady);
    publisher =
        NatsPublisher.connect(
            server.url(),
            NatsPublisher.Settings.JETSTREAM
                .withMaxInFlight(100)
                .withAckTimeout(Duration.ofSeconds(2)),
            tuning);

    int total = 3_000;
    AtomicReference<Throwable> loopError = new AtomicReference<>();
    Thread loop =
        new Thread(
            () -> {
              try {
                for (int n = 0; n < total; n++) {
                  publisher.publish(
                      "agent.event.status", IngestProbe.numbered("loop", n), "loop-" + n);
                  LockSupport.parkNanos(300_000); // pace: the restart lands mid-loop
                }
              } catch (Throwable t) {
                loopError.set(t);
              }
            },
            "publish-loop");
    loop.start();

    await().atMost(WAIT).until(() -> probe.distinctNumbers().size() >= 300);
    if (how.startsWith("kill")) {
      server.kill();
      // a real outage: both clients notice before the server is back
      await().atMost(WAIT).until(() -> publisher.status() != NatsStatus.CONNECTED);
      await().atMost(WAIT).until(() -> ingest.state().status() != NatsStatus.CONNECTED);
      server.startAgain();
    } else {
      server.restart();
    }
    loop.join(WAIT.toMillis());
    assertThat(loop.isAlive()).isFalse();
    assertThat(loopError.get()).isNull();
    publisher.flush(WAIT);
    assertThat(publisher.failed()).isZero();

    Set<Integer> all = IntStream.range(0, total).boxed().collect(Collectors.toSet());
    await().atMost(WAIT).until(() -> probe.distinctNumbers().size() == total);
    assertThat(probe.distinctNumbers()).isEqualTo(all);
    assertThat(ingest.reconnects()).isGreaterThanOrEqualTo(1);
    assertThat(ingest.state().status()).isEqualTo(NatsStatus.CONNECTED);
    assertThat(publisher.reconnects()).isGreaterThanOrEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"core", "jetstream"})
  void startsWhileNatsIsDownAndConnectsWhenItComesUp(String mode) throws Exception {
    server = NatsServerProcess.notStarted();
    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = new NatsIngest(config(mode), probe.intake, IngestProbe.fastTuning());
    ingest.start(); // returns at once although nothing listens

    assertThat(ingest.state().status()).isEqualTo(NatsStatus.CONNECTING);
    assertThat(ingest.isReady()).isFalse();
    await().atMost(WAIT).until(() -> ingest.state().lastError() != null);

    server.startAgain();
    await().atMost(WAIT).until(ingest::isReady);
    assertThat(ingest.state().status()).isEqualTo(NatsStatus.CONNECTED);

    publisher =
        NatsPublisher.connect(
            server.url(),
            mode.equals("core") ? NatsPublisher.Settings.CORE : NatsPublisher.Settings.JETSTREAM,
            IngestProbe.fastTuning());
    publisher.publish("usage.llm", IngestProbe.numbered("late", 1), "late-1");
    publisher.flush(WAIT);
    await().atMost(WAIT).until(() -> probe.withMarker("late").size() == 1);
  }

  @Test
  void closeStopsConnectingWhileNatsIsDown() throws Exception {
    server = NatsServerProcess.notStarted();
    IngestProbe probe = new IngestProbe(1_000_000);
    ingest = new NatsIngest(config("jetstream"), probe.intake, IngestProbe.fastTuning());
    ingest.start();
    await().atMost(WAIT).until(() -> ingest.state().lastError() != null);

    ingest.close();
    assertThat(ingest.state().status()).isEqualTo(NatsStatus.CLOSED);
    assertThat(
            Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("living-map-ingest-connect")))
        .isEmpty();
  }
}
