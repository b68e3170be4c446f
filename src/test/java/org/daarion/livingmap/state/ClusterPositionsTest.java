package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.UpstreamPoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode in the state owner (issue 8): positions are stream sequences, duplicates below the
 * position are dropped, events without a stream position are refused, and the events a poll makes
 * are published instead of applied, then applied when they come back through the stream, so two
 * owners fed the same stream end in the same state.
 */
class ClusterPositionsTest {
  private final List<Event> published = new CopyOnWriteArrayList<>();
  private final List<Event> seenA = new CopyOnWriteArrayList<>();
  private final List<Event> seenB = new CopyOnWriteArrayList<>();
  private StateOwner a;
  private StateOwner b;

  @BeforeEach
  void start() {
    a = owner(published::add, seenA);
    b = owner(e -> false, seenB);
  }

  private static StateOwner owner(StateOwner.DerivedPublisher publisher, List<Event> seen) {
    StateOwner o = new StateOwner(new LiveState("S-1", 0), 1000, Clock.systemUTC());
    o.positionsFromStream(publisher);
    o.addSink(seen::addAll);
    o.start();
    return o;
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  /** A message as the live consumer hands it over: its position in the message id. */
  private static Event fromStream(long seq, String subject, JsonObject payload) {
    return Event.incoming(
        subject, payload, Instant.ofEpochSecond(1_000 + seq), "js:LIVING_MAP:" + seq, null);
  }

  @Test
  void seqIsTheStreamSequenceAndDuplicatesAndUnpositionedEventsAreDropped() throws Exception {
    JsonObject metrics = new JsonObject().put("node_id", "gpu-1").put("cpu", 0.5);
    a.submit(fromStream(3, "node.metrics.gpu-1", metrics));
    a.submit(fromStream(7, "node.metrics.gpu-1", metrics.copy().put("cpu", 0.7)));
    a.submit(fromStream(7, "node.metrics.gpu-1", metrics)); // again: a duplicate
    a.submit(fromStream(5, "node.metrics.gpu-1", metrics)); // below the position
    a.submit(Event.incoming("node.metrics.gpu-1", metrics, Instant.now(), null, null));
    a.submit(fromStream(9, "node.metrics.gpu-1", metrics.copy().put("cpu", 0.9)));
    await().until(() -> seenA.size() == 3);
    assertThat(seenA).extracting(Event::seq).containsExactly(3L, 7L, 9L);
    assertThat(seenA).extracting(Event::epoch).containsOnly("S-1");
    assertThat(a.duplicateCount()).isEqualTo(2);
    assertThat(a.unpositionedCount()).isEqualTo(1);
    assertThat(a.state().seq()).isEqualTo(9);
    assertThat(a.state().version()).as("version follows seq").isEqualTo(9);
  }

  @Test
  void pollChangesArePublishedAndAppliedOnlyWhenTheyComeBack() throws Exception {
    UpstreamPoll poll =
        new UpstreamPoll(
            "agents-service",
            Set.of("agent"),
            List.of(
                new EntityPatch(
                    "agent:sofia",
                    "agent",
                    new JsonObject().put("name", "Sofia").put("microdao_id", "m-1"),
                    null,
                    null)));
    a.applyPoll(poll).join();
    assertThat(published).hasSize(1);
    Event added = published.get(0);
    assertThat(added.eventType()).isEqualTo(Reconciler.ADDED);
    assertThat(a.state().get("agent:sofia")).as("not applied before it has a position").isNull();
    assertThat(seenA).isEmpty();
    // Polled again before the change came back: it is on its way, not published twice.
    a.applyPoll(poll).join();
    assertThat(published).hasSize(1);
    assertThat(a.inFlightCount()).isEqualTo(1);

    // The stream gives it position 12; both replicas apply it there.
    for (StateOwner o : List.of(a, b)) {
      o.submit(fromStream(12, added.eventType(), added.payload()));
    }
    await().until(() -> seenA.size() == 1 && seenB.size() == 1);
    StateCut cutA = a.cut().join();
    StateCut cutB = b.cut().join();
    assertThat(cutA.seq()).isEqualTo(12).isEqualTo(cutB.seq());
    assertThat(a.state().get("agent:sofia").data().getString("name")).isEqualTo("Sofia");
    // Identical states (the cut's own time aside).
    assertThat(StateCodec.dump(cutA).put("at", "-").encode())
        .isEqualTo(StateCodec.dump(cutB).put("at", "-").encode());

    assertThat(a.inFlightCount()).as("back through the stream").isZero();
    // The same poll again finds nothing to change.
    a.applyPoll(poll).join();
    assertThat(published).hasSize(1);
  }
}
