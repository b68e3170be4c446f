package org.daarion.livingmap.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The one subject grammar: what it refuses and why, and that its SQL regex matches as it does. */
class SubjectTest {
  @Test
  void refusesWithTheFirstProblemLeftToRight() {
    Map<String, Subject.Problem> bad =
        Map.of(
            "", Subject.Problem.EMPTY,
            "a..b", Subject.Problem.EMPTY_TOKEN,
            ".a", Subject.Problem.EMPTY_TOKEN,
            "a.", Subject.Problem.EMPTY_TOKEN,
            "a. b", Subject.Problem.WHITESPACE,
            "a.b*", Subject.Problem.WILDCARD_INSIDE_TOKEN,
            "a.>x", Subject.Problem.WILDCARD_INSIDE_TOKEN,
            "a.>.b", Subject.Problem.TAIL_NOT_LAST,
            "a.>.b..c", Subject.Problem.TAIL_NOT_LAST);
    bad.forEach(
        (text, problem) -> {
          assertThat(Subject.problem(text)).as(text).isEqualTo(problem);
          assertThatThrownBy(() -> Subject.parse(text))
              .as(text)
              .isInstanceOf(IllegalArgumentException.class)
              .hasMessage(problem.message(text));
        });
    assertThat(Subject.problem(null)).isEqualTo(Subject.Problem.EMPTY);
    for (String ok : new String[] {"a", ">", "*", "a.*.c", "a.>", "usage.llm", "a-b_c:d"}) {
      assertThat(Subject.problem(ok)).as(ok).isNull();
    }
    assertThat(Subject.parse("a.b").wildcard()).isFalse();
    assertThat(Subject.parse("a.*").wildcard()).isTrue();
  }

  @Test
  void theRegexMatchesWhatTheMatcherMatches() {
    Random r = new Random(11);
    String[] patternTokens = {"a", "b", "a+b", "*", ">", "usage"};
    String[] subjectTokens = {"a", "b", "a+b", "", "ab", "usage", "x\ny"};
    for (int i = 0; i < 20_000; i++) {
      String p = join(r, patternTokens, 1 + r.nextInt(4));
      if (Subject.problem(p) != null) {
        continue;
      }
      String s = join(r, subjectTokens, 1 + r.nextInt(4));
      Subject subject = Subject.parse(p);
      boolean byRegex = Pattern.compile(subject.regex(), Pattern.DOTALL).matcher(s).matches();
      assertThat(byRegex).as("%s ~ %s", p, s).isEqualTo(subject.matches(s));
    }
  }

  private static String join(Random r, String[] tokens, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        b.append('.');
      }
      b.append(tokens[r.nextInt(tokens.length)]);
    }
    return b.toString();
  }
}
