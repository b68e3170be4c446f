package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HistoryQueryTest {

  static void bad(Map<String, String> params, String name) {
    assertThatThrownBy(() -> HistoryQuery.parse(params))
        .isInstanceOf(BadParameterException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name)
        .extracting(e -> ((BadParameterException) e).parameter())
        .isEqualTo(name);
  }

  @Test
  void defaultsAndParsing() {
    HistoryQuery q = HistoryQuery.parse(Map.of());
    assertThat(q.limit()).isEqualTo(200);
    assertThat(q.offset()).isZero();
    HistoryQuery p =
        HistoryQuery.parse(
            Map.of(
                "since", "2026-01-01T10:00:00+02:00",
                "until", "2026-01-02",
                "limit", "1000",
                "before_seq", "0",
                "event_type", "dao.>"));
    assertThat(p.since()).isEqualTo(Instant.parse("2026-01-01T08:00:00Z"));
    assertThat(p.until()).isEqualTo(Instant.parse("2026-01-02T00:00:00Z"));
    assertThat(p.beforeSeq()).isZero();
    assertThat(HistoryQuery.parse(Map.of("since", "2026-01-01T10:00:00")).since())
        .isEqualTo(Instant.parse("2026-01-01T10:00:00Z"));
  }

  @Test
  void badParametersNameThemselves() {
    bad(Map.of("limit", "0"), "limit");
    bad(Map.of("limit", "1001"), "limit");
    bad(Map.of("limit", "ten"), "limit");
    bad(Map.of("offset", "-1"), "offset");
    bad(Map.of("since", "yesterday"), "since");
    bad(Map.of("until", "2026-13-01"), "until");
    bad(Map.of("before_seq", "-5"), "before_seq");
    bad(Map.of("after_seq", "x"), "after_seq");
    bad(Map.of("event_type", "dao.>.x"), "event_type");
    bad(Map.of("event_type", "dao..x"), "event_type");
    bad(Map.of("event_type", "dao.ev*"), "event_type");
    bad(Map.of("since", "2026-01-02T00:00:00Z", "until", "2026-01-01T00:00:00Z"), "since");
  }

  @Test
  void natsWildcardSemantics() {
    EventTypePattern star = EventTypePattern.parse("event_type", "agent.event.*");
    assertThat(star.matches("agent.event.status")).isTrue();
    assertThat(star.matches("agent.event")).isFalse();
    assertThat(star.matches("agent.event.status.x")).isFalse();
    EventTypePattern tail = EventTypePattern.parse("event_type", "dao.>");
    assertThat(tail.matches("dao.event.created")).isTrue();
    assertThat(tail.matches("dao")).isFalse();
    EventTypePattern exact = EventTypePattern.parse("event_type", "usage.llm");
    assertThat(exact.wildcard()).isFalse();
  }

  @Test
  void statsParameters() {
    Instant now = Instant.parse("2026-01-01T12:00:00Z");
    HistoryQuery.Stats s = HistoryQuery.Stats.parse(Map.of(), now);
    assertThat(s.until()).isEqualTo(now);
    assertThat(s.since()).isEqualTo(now.minus(Duration.ofHours(1)));
    assertThat(s.bucket()).isEqualTo(Duration.ofMinutes(1));
    assertThatThrownBy(() -> HistoryQuery.Stats.parse(Map.of("bucket", "1x"), now))
        .isInstanceOf(BadParameterException.class)
        .hasMessageContaining("bucket");
    assertThatThrownBy(
            () ->
                HistoryQuery.Stats.parse(
                    Map.of("bucket", "1s", "since", "2025-01-01T00:00:00Z"), now))
        .isInstanceOf(BadParameterException.class)
        .hasMessageContaining("bucket");
  }
}
