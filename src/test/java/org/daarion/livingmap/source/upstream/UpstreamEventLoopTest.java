package org.daarion.livingmap.source.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.daarion.livingmap.config.UpstreamSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A poll whose reply is many megabytes (the agent list at 100x DAARION's size) must not hold the
 * poller's event loop while the reply is decoded, checked, parsed and filtered: that work goes to
 * the worker pool, and only the bookkeeping and the delivery stay on the event loop.
 */
class UpstreamEventLoopTest {
  /** 100x DAARION's agents; the reply is about 15 MB. */
  private static final int AGENTS = 20_000;

  /**
   * Longest an event-loop task may run. Decoding and parsing the reply on the loop takes several
   * times this; the small tasks left on it take a few milliseconds.
   */
  private static final long MAX_LOOP_MS = 300;

  Vertx vertx;
  Vertx upstreamVertx;
  FakeUpstream fake;
  final List<BlockedThreadEvent> blocked = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx =
        Vertx.vertx(
            new VertxOptions()
                .setMaxEventLoopExecuteTime(MAX_LOOP_MS)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(20)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    // Vert.x's own blocked-thread checker, told to report to the test instead of the log.
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(blocked::add);
    // The upstream on loops of its own: writing its 15 MB reply is its cost, not the poller's
    // (on a slow machine that write alone held a shared loop over 300 ms).
    upstreamVertx = Vertx.vertx();
    fake = new FakeUpstream(upstreamVertx);
    fake.route(AgentsAdapter.AGENTS, agents(AGENTS));
  }

  @AfterEach
  void stop() {
    fake.close();
    PollerHarness.await(vertx.close());
    PollerHarness.await(upstreamVertx.close());
  }

  @Test
  void aPollOfManyMegabytesNeverBlocksTheEventLoop() {
    try (PollerHarness h = harness(b -> {})) {
      // A first small poll loads the classes of the client, the pool and the parser: on a slow
      // machine that alone held the loop over 300 ms, whatever the reply's size.
      fake.route(AgentsAdapter.AGENTS, agents(10));
      h.pollNow();
      fake.route(AgentsAdapter.AGENTS, agents(AGENTS));
      blocked.clear();
      h.pollNow();
      assertThat(h.last(UpstreamSource.AGENTS).patches()).hasSize(AGENTS);
    }
    assertThat(blocked)
        .as("event-loop tasks over %d ms", MAX_LOOP_MS)
        .filteredOn(e -> e.thread().getName().startsWith("vert.x-eventloop"))
        .isEmpty();
  }

  @Test
  void decodingParsingAndPrecedenceRunOnTheWorkerAndDeliveryOnTheEventLoop() {
    List<String> onLoop = new CopyOnWriteArrayList<>();
    List<String> onWorker = new CopyOnWriteArrayList<>();
    try (PollerHarness h =
        harness(
            b ->
                b.workObserver(
                    (stage, thread) -> {
                      boolean worker =
                          !Context.isOnEventLoopThread()
                              && thread.getName().startsWith(ParseWorker.POOL);
                      (worker ? onWorker : onLoop).add(stage);
                    }))) {
      h.pollNow();
      assertThat(h.last(UpstreamSource.AGENTS).patches()).hasSize(AGENTS);
      assertThat(h.deliveredOnEventLoop()).as("polls delivered on the poller's context").isTrue();
    }
    assertThat(onLoop).isEmpty();
    assertThat(onWorker)
        .contains(
            "decode " + AgentsAdapter.AGENTS,
            "agents-service parse",
            "agents-service poll",
            "agents-service precedence");
  }

  private PollerHarness harness(java.util.function.Consumer<UpstreamPoller.Builder> tune) {
    return new PollerHarness(
        vertx,
        fake,
        Optional.of("secret"),
        b -> tune.accept(b.defaultPolicy(SourcePolicy.defaults(Duration.ofSeconds(30)))));
  }

  /** An agents-service {@code GET /agents} reply of {@code n} agents in the real shape. */
  private static String agents(int n) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < n; i++) {
      items.add(
          new JsonObject()
              .put("id", String.format("a9000007-0000-4000-8000-%012d", i))
              .put("external_id", "agent:load-" + i)
              .put("name", "Load agent " + i)
              .put("kind", "assistant")
              .put("description", "Агент навантаження " + i + " для перевірки великих відповідей")
              .put("microdao_id", "3d000008-0000-4000-8000-000000000001")
              .put("owner_user_id", null)
              .put("blueprint_id", "b1000007-0000-4000-8000-000000000003")
              .put("model", "gpt-4.1-mini")
              .put("tools_enabled", new JsonArray().add("security.check").add("compliance.verify"))
              .put("system_prompt", "You are load agent " + i + ", one of many.")
              .put("avatar_url", null)
              .put("is_active", true)
              .put("created_at", "2025-11-24T08:00:05.123870Z")
              .put("updated_at", "2025-11-24T08:00:06.401922Z"));
    }
    return items.encode();
  }
}
