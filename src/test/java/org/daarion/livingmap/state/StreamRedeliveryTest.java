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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression tests found by the SIGKILL reliability test: after a restart, JetStream delivers the
 * messages after the ones handed out before the crash first, and those come back only after
 * AckWait. The owner took them for repeats (below the highest stream sequence), so they were never
 * applied to the state and reached history without a position.
 */
class StreamRedeliveryTest {
  private StateOwner owner;
  private final List<Event> applied = new CopyOnWriteArrayList<>();
  private final List<Event> dups = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    owner = new StateOwner(new LiveState("e1", 0), 1024, Clock.systemUTC());
    owner.addSink(
        new EventSink() {
          @Override
          public void onEvents(List<Event> batch) {
            applied.addAll(batch);
          }

          @Override
          public void onDuplicates(List<Event> d) {
            dups.addAll(d);
          }
        });
    owner.start();
  }

  @AfterEach
  void stop() {
    owner.close();
  }

  private void deliver(long streamSeq) throws InterruptedException {
    owner.submit(
        Event.incoming(
            "usage.agent",
            new JsonObject().put("agent_id", "a1"),
            Instant.now(),
            "js:S:" + streamSeq,
            null));
  }

  private long invocations() {
    return owner
        .read(
            a -> a.state().get("agent:a1").data().getJsonObject("usage").getLong("invocations_24h"))
        .join();
  }

  @Test
  void aFirstDeliveryOvertakenByLaterOnesIsAppliedOnceThenRecognised() throws Exception {
    deliver(1);
    deliver(4); // 2 and 3 were handed out before a crash: they come back after AckWait
    deliver(5);
    deliver(2);
    deliver(3);
    deliver(2); // a true repeat
    deliver(5);
    await().until(() -> applied.size() + dups.size() == 7);

    assertThat(applied)
        .extracting(Event::msgId)
        .containsExactly("js:S:1", "js:S:4", "js:S:5", "js:S:2", "js:S:3");
    assertThat(applied).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(dups).extracting(Event::msgId).containsExactly("js:S:2", "js:S:5");
    assertThat(invocations()).isEqualTo(5);
    assertThat(owner.state().streamSeq()).isEqualTo(5);
  }

  private void deliver(String epoch, long streamSeq) throws InterruptedException {
    owner.submit(
        Event.incoming(
            "usage.agent",
            new JsonObject().put("agent_id", "a1"),
            Instant.now(),
            "js:" + epoch + ":" + streamSeq,
            null));
  }

  @Test
  void aRecreatedStreamsSequencesAreNotTakenForTheOldOnes() throws Exception {
    deliver("S-100", 1);
    deliver("S-100", 2);
    deliver("S-100", 3);
    // Recreated: its sequences start again at 1 under another epoch.
    deliver("S-200", 1);
    deliver("S-200", 2);
    deliver("S-200", 2); // a true repeat within the new stream
    await().until(() -> applied.size() + dups.size() == 6);

    assertThat(applied)
        .extracting(Event::msgId)
        .containsExactly("js:S-100:1", "js:S-100:2", "js:S-100:3", "js:S-200:1", "js:S-200:2");
    assertThat(dups).extracting(Event::msgId).containsExactly("js:S-200:2");
    assertThat(invocations()).isEqualTo(5);
    assertThat(owner.state().streamSeq()).isEqualTo(2);
  }

  @Test
  void replayedHistoryWithAGapLeavesTheGapOpenForItsRedelivery() throws Exception {
    // History after a crash holds stream sequences 1..3 and 6 (4 and 5 never committed).
    owner
        .call(
            a -> {
              for (long s : new long[] {1, 2, 3, 6}) {
                a.replay(
                    new Event(
                        a.state().seq() + 1,
                        "e1",
                        Instant.now(),
                        "usage.agent",
                        "agent:a1",
                        "agent",
                        "agent-runtime",
                        new JsonObject().put("agent_id", "a1"),
                        "js:S:" + s,
                        null));
              }
              return null;
            })
        .join();
    deliver(7);
    deliver(4);
    deliver(5);
    deliver(6); // in history already
    await().until(() -> applied.size() + dups.size() == 4);

    assertThat(applied).extracting(Event::msgId).containsExactly("js:S:7", "js:S:4", "js:S:5");
    assertThat(dups).extracting(Event::msgId).containsExactly("js:S:6");
    assertThat(invocations()).isEqualTo(7);
  }

  @Test
  void theWindowForgetsWhatFallsBehindIt() {
    AppliedStreamSeqs w = new AppliedStreamSeqs();
    w.add(10);
    w.add(12);
    assertThat(w.contains(10)).isTrue();
    assertThat(w.contains(11)).isFalse();
    assertThat(w.contains(12)).isTrue();
    assertThat(w.contains(13)).isFalse();
    w.add(11);
    assertThat(w.contains(11)).isTrue();
    w.add(12 + AppliedStreamSeqs.WINDOW);
    assertThat(w.contains(12)).isFalse();
    assertThat(w.contains(12 + AppliedStreamSeqs.WINDOW)).isTrue();
    assertThat(w.contains(11L + AppliedStreamSeqs.WINDOW)).isFalse();
    w.allUpTo(100);
    assertThat(w.contains(1)).isTrue();
    assertThat(w.contains(100)).isTrue();
    assertThat(w.contains(101)).isFalse();
    w.add(103);
    assertThat(w.contains(101)).isFalse();
    assertThat(w.contains(102)).isFalse();
    assertThat(w.contains(99)).isTrue();
  }
}
