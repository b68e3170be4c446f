package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NatsSubjectsTest {
  @Test
  void matchesWildcards() {
    assertThat(Subjects.matches("usage.llm", "usage.llm")).isTrue();
    assertThat(Subjects.matches("usage.llm.>", "usage.llm")).isFalse();
    assertThat(Subjects.matches("usage.llm.>", "usage.llm.gpt.4")).isTrue();
    assertThat(Subjects.matches("node.metrics.*", "node.metrics.gpu-1")).isTrue();
    assertThat(Subjects.matches("node.metrics.*", "node.metrics.gpu-1.x")).isFalse();
    assertThat(Subjects.matches("usage.*", "usage")).isFalse();
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
    assertThat(Subjects.minimalCover(defaults)).isEqualTo(defaults);
    assertThat(Subjects.minimalCover(List.of("a.>", "a.b", "a.*", "a.>", "b.*.c", "b.x.c")))
        .containsExactly("a.>", "b.*.c");
  }

  @Test
  void jetStreamMsgIdsCarryTheStreamSequence() {
    assertThat(JetStreamMsgIds.of("LIVING_MAP", 42)).isEqualTo("js:LIVING_MAP:42");
    assertThat(JetStreamMsgIds.streamSequence("js:LIVING_MAP:42")).hasValue(42);
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
