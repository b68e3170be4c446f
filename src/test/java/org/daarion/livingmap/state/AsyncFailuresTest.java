package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventSink;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: a failure nobody waits for (a sink throwing on the owner's thread) is counted by where
 * it happened, not only logged, and the pipeline goes on: the other sinks get every event.
 */
class AsyncFailuresTest {

  /** A sink that fails on every batch. */
  private static final class Broken implements EventSink {
    @Override
    public void onEvents(List<Event> events) {
      throw new IllegalStateException("broken sink");
    }
  }

  @Test
  void aFailingSinkIsCountedByNameAndTheOtherSinksGoOn() throws Exception {
    StateOwner owner = new StateOwner(new LiveState("e1", 0), 1024, Clock.systemUTC());
    List<Event> seen = new CopyOnWriteArrayList<>();
    owner.addSink(new Broken());
    owner.addSink(seen::addAll);
    owner.start();
    try {
      for (int i = 0; i < 3; i++) {
        owner.submit(
            Event.incoming(
                "node.metrics.n1",
                new JsonObject().put("node_id", "n1").put("cpu", 0.1 * i),
                Instant.now(),
                null,
                null));
        int n = i + 1;
        // one batch per event: each fails in the broken sink, and the next sink still gets it
        await().until(() -> seen.size() == n);
      }
      assertThat(owner.failures().count("sink_Broken")).isEqualTo(3);
      assertThat(owner.failures().counts()).containsOnlyKeys("sink_Broken");
      assertThat(seen).extracting(Event::seq).containsExactly(1L, 2L, 3L);
    } finally {
      owner.close();
    }
  }
}
