package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.daarion.livingmap.event.Subject;
import org.junit.jupiter.api.Test;

class NatsSubjectsTest {
  @Test
  void matchesWildcards() {
    assertThat(Subject.matches("usage.llm", "usage.llm")).isTrue();
    assertThat(Subject.matches("usage.llm.>", "usage.llm")).isFalse();
    assertThat(Subject.matches("usage.llm.>", "usage.llm.gpt.4")).isTrue();
    assertThat(Subject.matches("node.metrics.*", "node.metrics.gpu-1")).isTrue();
    assertThat(Subject.matches("node.metrics.*", "node.metrics.gpu-1.x")).isFalse();
    assertThat(Subject.matches("usage.*", "usage")).isFalse();
  }

  @Test
  void minimalCoverDropsCoveredSubjectsOnly() {
    List<String> defaults =
        List.of(
            "city.event.>",
            "dao.event.>",
            "microdao.event.>",
            "node.metrics.>",
            "agent.event.>",
            "usage.llm",
            "usage.llm.>",
            "usage.agent",
            "usage.agent.>",
            "messaging.message.created");
    assertThat(Subject.minimalCover(defaults)).isEqualTo(defaults);
    assertThat(Subject.minimalCover(List.of("a.>", "a.b", "a.*", "a.>", "b.*.c", "b.x.c")))
        .containsExactly("a.>", "b.*.c");
  }

  @Test
  void jetStreamMsgIdsCarryTheEpochAndTheStreamSequence() {
    String epoch = JetStreamMsgIds.epoch("LIVING_MAP", 1_700_000_000_123L);
    assertThat(epoch).isEqualTo("LIVING_MAP-1700000000123");
    assertThat(JetStreamMsgIds.of(epoch, 42)).isEqualTo("js:LIVING_MAP-1700000000123:42");
    assertThat(JetStreamMsgIds.streamSequence("js:LIVING_MAP-1700000000123:42")).hasValue(42);
    assertThat(JetStreamMsgIds.epochOf("js:LIVING_MAP-1700000000123:42", "LIVING_MAP"))
        .isEqualTo(epoch);
    // A stream name with a dash: the epoch is the part before the last colon.
    assertThat(JetStreamMsgIds.epochOf("js:A-B-5:7", "A-B")).isEqualTo("A-B-5");
    // The form before issue 17 had no epoch: its sequence still reads, its epoch is unknown.
    assertThat(JetStreamMsgIds.streamSequence("js:LIVING_MAP:42")).hasValue(42);
    assertThat(JetStreamMsgIds.epochOf("js:LIVING_MAP:42", "LIVING_MAP")).isNull();
    assertThat(JetStreamMsgIds.epochOf("js:LIVING_MAP-x:42", "LIVING_MAP")).isNull();
    assertThat(JetStreamMsgIds.epochOf("js:OTHER-5:42", "LIVING_MAP")).isNull();
    assertThat(JetStreamMsgIds.epochOf("llm-1", "LIVING_MAP")).isNull();
    assertThat(JetStreamMsgIds.streamSequence("llm-1")).isEmpty();
    assertThat(JetStreamMsgIds.streamSequence(null)).isEmpty();
    assertThat(JetStreamMsgIds.streamSequence("js:x")).isEmpty();
  }

  @Test
  void backoffGrowsIsJitteredAndCapped() {
    Duration min = Duration.ofMillis(100);
    Duration max = Duration.ofSeconds(2);
    for (int round = 1; round < 40; round++) {
      long cap = Math.min(2000, 100L << Math.min(round - 1, 20));
      assertThat(NatsConnector.backoff(round, min, max).toMillis()).isBetween(cap / 2, cap);
    }
  }
}
