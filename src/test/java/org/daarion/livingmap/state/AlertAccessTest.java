package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.daarion.livingmap.event.Event;
import org.junit.jupiter.api.Test;

/** What alerts need from the state owner: {@code Access.emit}, and {@code call} from a sink. */
class AlertAccessTest {
  @Test
  void callFromASinkDoesNotDeadlockWhenTheQueueIsFull() throws Exception {
    StateOwner owner = new StateOwner(new LiveState("e", 0), 4, Clock.systemUTC());
    CountDownLatch queueFull = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    AtomicReference<CompletableFuture<String>> fromSink = new AtomicReference<>();
    owner.addSink(
        batch -> {
          if (first.compareAndSet(true, false)) {
            try {
              queueFull.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            // The queue is full now: a blocking put here would wait for this very thread.
            fromSink.set(owner.call(a -> "ran after the batch at seq " + a.state().seq()));
          }
        });
    owner.start();
    try {
      owner.submit(metrics("n0"));
      await().until(() -> !first.get());
      for (int i = 1; i <= 4; i++) {
        owner.submit(metrics("n" + i));
      }
      assertThat(owner.queueDepth()).isEqualTo(4);
      queueFull.countDown();
      await().until(() -> fromSink.get() != null);
      assertThat(fromSink.get().get(10, TimeUnit.SECONDS))
          .isEqualTo("ran after the batch at seq 1");
    } finally {
      queueFull.countDown();
      owner.close();
    }
  }

  @Test
  void emitAppliesTheEventThroughItsReducerAndHandsItToTheSinks() {
    LiveState live = new LiveState("e", 0);
    StateOwner owner = new StateOwner(live, 16, Clock.systemUTC());
    List<Event> seen = new CopyOnWriteArrayList<>();
    owner.addSink(seen::addAll);
    owner.start();
    try {
      owner
          .call(
              a -> {
                // On the owner's thread: the test writes the state as a reducer would.
                Reducers.apply(metrics("n1"), "node:n1", 0, live);
                return a.emit(
                    AlertMarks.FIRING,
                    "node:n1",
                    "node",
                    new JsonObject()
                        .put("id", "alert-1")
                        .put("rule", "cpu_high")
                        .put("severity", "critical")
                        .put("message", "hot")
                        .put("since", "2025-11-28T10:00:00Z"));
              })
          .join();
      Entity n = owner.state().get("node:n1");
      assertThat(n.status()).isEqualTo("warning");
      assertThat(n.data().getJsonArray("alerts")).hasSize(1);
      assertThat(seen)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.eventType()).isEqualTo("living_map.alert.firing");
                assertThat(e.seq()).isEqualTo(1);
              });
      owner
          .call(
              a ->
                  a.emit(
                      AlertMarks.RESOLVED,
                      "node:n1",
                      "node",
                      new JsonObject().put("id", "alert-1")))
          .join();
      Entity after = owner.state().get("node:n1");
      assertThat(after.status()).isEqualTo("online");
      assertThat(after.data().getJsonArray("alerts")).isEmpty();
      assertThat(after.extra().fieldNames())
          .doesNotContain(AlertMarks.MARKS, AlertMarks.BASE, AlertMarks.SHOWN);
    } finally {
      owner.close();
    }
  }

  @Test
  void infoAlertsAreListedWithoutTurningTheStatus() {
    LiveState s = new LiveState("e", 0);
    Reducers.apply(metrics("n1"), "node:n1", 1, s);
    AlertMarks.reduce(
        AlertMarks.FIRING,
        new JsonObject().put("id", "a").put("rule", "r").put("severity", "info"),
        "node:n1",
        2,
        Instant.now(),
        s);
    assertThat(s.get("node:n1").status()).isEqualTo("online");
    assertThat(s.get("node:n1").data().getJsonArray("alerts")).hasSize(1);
  }

  private static Event metrics(String node) {
    return Event.incoming(
        "node.metrics." + node,
        new JsonObject().put("node_id", node).put("cpu", 0.2),
        Instant.now(),
        null,
        null);
  }
}
