package org.daarion.livingmap.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {
  @Test
  void refusesWhatDoesNotFitButLetsOneLargeItemInWhenEmpty() {
    ByteBudget b = new ByteBudget("t", 1_000, ByteBudget.Overflow.REJECT);
    assertThat(b.tryAcquire(600)).isTrue();
    assertThat(b.tryAcquire(600)).isFalse();
    assertThat(b.refusedCount()).isEqualTo(1);
    b.release(600);
    // Larger than the whole budget: let in alone, so it is never stuck.
    assertThat(b.tryAcquire(5_000)).isTrue();
    assertThat(b.tryAcquire(1)).isFalse();
    b.release(5_000);
    assertThat(b.used()).isZero();
  }

  @Test
  void acquireWaitsUntilEnoughIsReleased() {
    ByteBudget b = new ByteBudget("t", 1_000, ByteBudget.Overflow.BLOCK);
    assertThat(b.tryAcquire(900)).isTrue();
    CompletableFuture<Void> waiting =
        CompletableFuture.runAsync(
            () -> {
              try {
                b.acquire(500);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> b.waitCount() == 1);
    assertThat(waiting).isNotDone();
    b.release(900);
    await().atMost(Duration.ofSeconds(5)).until(waiting::isDone);
    assertThat(b.used()).isEqualTo(500);
  }
}
