package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.UpstreamPoll;

/** A poller pointed at a {@link FakeUpstream}, recording every poll it delivers, per source. */
final class PollerHarness implements AutoCloseable {
  /**
   * Short everything, so fault tests stay fast: 400 ms timeout, 2 tries; the circuit opens on the
   * second failure after a success (2 of 3 failed >= 60 %) and stays open 250 ms.
   */
  static SourcePolicy fastPolicy() {
    return SourcePolicy.defaults(Duration.ofMillis(400))
        .withRetries(2, Duration.ofMillis(20))
        .withBreaker(4, 2, 60f, Duration.ofMillis(250))
        .withSpecRetryEvery(3);
  }

  final FakeUpstream fake;
  final UpstreamPoller poller;
  private final Map<String, List<UpstreamPoll>> polls = new ConcurrentHashMap<>();
  private final List<Long> deliveredAt = new CopyOnWriteArrayList<>();
  private final List<Boolean> deliveredOnLoop = new CopyOnWriteArrayList<>();

  PollerHarness(Vertx vertx, FakeUpstream fake, Optional<String> token) {
    this(vertx, fake, token, b -> {});
  }

  PollerHarness(
      Vertx vertx,
      FakeUpstream fake,
      Optional<String> token,
      Consumer<UpstreamPoller.Builder> tune) {
    this.fake = fake;
    UpstreamPoller.Builder b =
        UpstreamPoller.builder(vertx)
            .token(token)
            .interval(Duration.ofHours(1))
            .defaultPolicy(fastPolicy())
            .intake(
                p -> {
                  polls.computeIfAbsent(p.source(), k -> new CopyOnWriteArrayList<>()).add(p);
                  deliveredAt.add(System.nanoTime());
                  deliveredOnLoop.add(io.vertx.core.Context.isOnEventLoopThread());
                  return java.util.concurrent.CompletableFuture.completedFuture(null);
                });
    for (UpstreamSource s : UpstreamSource.values()) {
      b.url(s, fake.url());
    }
    tune.accept(b);
    poller = b.build();
  }

  /**
   * One poll of everything with generous timeouts, so class loading and JIT of the first requests
   * do not count against the short timeouts of the tests.
   */
  static void warmUp(Vertx vertx, FakeUpstream fake) {
    try (PollerHarness h =
        new PollerHarness(
            vertx,
            fake,
            Optional.of("secret"),
            b -> b.defaultPolicy(SourcePolicy.defaults(Duration.ofSeconds(10))))) {
      h.pollNow();
    }
    fake.resetRequests();
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete", e);
    }
  }

  void pollNow() {
    await(poller.pollNow());
  }

  List<UpstreamPoll> polls(UpstreamSource s) {
    return List.copyOf(polls.getOrDefault(s.serviceName(), List.of()));
  }

  /** Whether polls were delivered, every one of them on an event loop (the poller's context). */
  boolean deliveredOnEventLoop() {
    return !deliveredOnLoop.isEmpty() && !deliveredOnLoop.contains(false);
  }

  int count(UpstreamSource s) {
    return polls(s).size();
  }

  UpstreamPoll last(UpstreamSource s) {
    List<UpstreamPoll> list = polls(s);
    if (list.isEmpty()) {
      throw new AssertionError("no poll from " + s.serviceName());
    }
    return list.get(list.size() - 1);
  }

  static EntityPatch patch(UpstreamPoll poll, String id) {
    return poll.patches().stream()
        .filter(p -> p.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no patch " + id + " in " + ids(poll)));
  }

  static List<String> ids(UpstreamPoll poll) {
    List<String> out = new ArrayList<>();
    poll.patches().forEach(p -> out.add(p.id()));
    return out;
  }

  SourceStatus status(UpstreamSource s) {
    return poller.statuses().get(s);
  }

  @Override
  public void close() {
    await(poller.stop());
  }
}
