package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * New meta (a poll published) with coalesced snapshots: while preparing is quick readers wait for
 * the snapshot with the new meta, so it always shows the sources' current view; once preparing is
 * slow (100x DAARION) they are answered at once with the last prepared snapshot and its meta, and
 * the new one is prepared in the background. Preparations run on an executor the test drives, so
 * "at once" means before any preparation ran.
 */
class SnapshotMetaWaitTest {
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicReference<JsonObject> meta =
      new AtomicReference<>(new JsonObject().put("version", "1"));
  private StateOwner owner;
  private SnapshotService snapshots;

  @BeforeEach
  void start() {
    owner = new StateOwner(new LiveState("e1", 0), 100_000, Clock.systemUTC());
    owner.start();
  }

  @AfterEach
  void stop() {
    owner.close();
    if (snapshots != null) {
      snapshots.close();
    }
  }

  private SnapshotService service(Duration metaWait) {
    // An hour between preparations: only readers and new meta start one here, never the ticker.
    snapshots =
        new SnapshotService(
            owner,
            tasks::add,
            meta::get,
            Duration.ofHours(1),
            metaWait,
            Duration.ofHours(1),
            Duration.ofHours(1));
    return snapshots;
  }

  /** Runs the preparation the service queued (after the owner's cut, on its thread). */
  private void runPreparation() {
    await().atMost(Duration.ofSeconds(10)).until(() -> !tasks.isEmpty());
    tasks.poll().run();
  }

  private PreparedSnapshot firstPrepared(SnapshotService s) throws Exception {
    CompletableFuture<PreparedSnapshot> first = s.prepared();
    runPreparation();
    return first.get(10, TimeUnit.SECONDS);
  }

  @Test
  void whenPreparingIsSlowNewMetaIsPreparedInTheBackgroundNotWaitedFor() throws Exception {
    SnapshotService s = service(Duration.ZERO);
    PreparedSnapshot before = firstPrepared(s);
    assertThat(before.meta().getString("version")).isEqualTo("1");

    meta.set(new JsonObject().put("version", "2"));
    CompletableFuture<PreparedSnapshot> asked = s.prepared();
    assertThat(asked).as("answered before any preparation ran").isDone();
    assertThat(asked.get().meta().getString("version")).isEqualTo("1");

    runPreparation();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "2".equals(s.prepared().get().meta().getString("version")));
    assertThat(s.prepared().get().version()).isEqualTo(before.version());
  }

  @Test
  void whenPreparingIsQuickReadersWaitForTheNewMeta() throws Exception {
    SnapshotService s = service(Duration.ofHours(1));
    firstPrepared(s);

    meta.set(new JsonObject().put("version", "2"));
    CompletableFuture<PreparedSnapshot> asked = s.prepared();
    assertThat(asked).as("waits for the preparation with the new meta").isNotDone();
    runPreparation();
    assertThat(asked.get(10, TimeUnit.SECONDS).meta().getString("version")).isEqualTo("2");
  }

  /**
   * Versions are prepared ahead only while readers ask: once none has for the idle time, the ticker
   * prepares nothing however the state moves, and the next reader waits for a version of the
   * current state instead of being answered with the old one.
   */
  @Test
  void versionsArePreparedAheadOnlyWhileReadersAsk() throws Exception {
    Duration idle = Duration.ofMillis(300);
    snapshots =
        new SnapshotService(
            owner, tasks::add, meta::get, Duration.ofMillis(10), Duration.ZERO, idle, idle);
    PreparedSnapshot first = firstPrepared(snapshots);

    change(0.5);
    snapshots.prepared();
    await().atMost(Duration.ofSeconds(10)).until(() -> !tasks.isEmpty()); // prepared ahead
    runPreparation();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> snapshots.latest().version() > first.version());
    tasks.clear();
    quietFor(idle.multipliedBy(2));
    change(0.7);
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(tasks::isEmpty);

    long current = owner.state().version();
    CompletableFuture<PreparedSnapshot> asked = snapshots.prepared();
    assertThat(asked).as("waits for a version of the current state").isNotDone();
    runPreparation();
    assertThat(asked.get(10, TimeUnit.SECONDS).version()).isEqualTo(current);
  }

  /**
   * While stream clients are connected, a changed state is prepared within the watched interval
   * although no reader asked, and the next reader after a quiet spell is answered at once.
   */
  @Test
  void whileStreamClientsAreConnectedAVersionIsKeptWarm() throws Exception {
    Duration idle = Duration.ofMillis(300);
    AtomicBoolean watched = new AtomicBoolean(true);
    snapshots =
        new SnapshotService(
            owner,
            tasks::add,
            meta::get,
            Duration.ofMillis(10),
            Duration.ZERO,
            idle,
            Duration.ofMillis(100));
    snapshots.keepWarmWhile(watched::get);
    firstPrepared(snapshots);
    quietFor(idle.multipliedBy(2));
    change(0.7);
    runPreparation(); // the ticker prepared it: no reader asked
    await().atMost(Duration.ofSeconds(10)).until(() -> snapshots.preparations() == 2);

    long current = owner.state().version();
    CompletableFuture<PreparedSnapshot> asked = snapshots.prepared();
    assertThat(asked).as("answered at once with the warm version").isDone();
    assertThat(asked.get().version()).isEqualTo(current);

    watched.set(false);
    tasks.clear();
    quietFor(idle.multipliedBy(2));
    change(0.9);
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(tasks::isEmpty);
  }

  /** Lets {@code time} pass with no reader asking. */
  private static void quietFor(Duration time) {
    long from = System.nanoTime();
    await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() - from > time.toNanos());
  }

  private void change(double gpu) throws InterruptedException {
    long before = owner.state().version();
    owner.submit(
        org.daarion.livingmap.event.Event.incoming(
            "node.metrics.node-03",
            new JsonObject().put("node_id", "node:03").put("gpu", gpu),
            java.time.Instant.now(),
            null,
            null));
    await().atMost(Duration.ofSeconds(10)).until(() -> owner.state().version() > before);
  }
}
