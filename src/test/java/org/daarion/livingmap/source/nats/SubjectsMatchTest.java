package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.daarion.livingmap.event.Subject;
import org.junit.jupiter.api.Test;

/** The in-place subject matcher agrees with the plain split-by-token definition. */
class SubjectsMatchTest {
  /** The definition: split on dots (empty tokens kept) and compare token by token. */
  private static boolean reference(String pattern, String subject) {
    String[] p = pattern.split("\\.", -1);
    String[] s = subject.split("\\.", -1);
    for (int i = 0; i < p.length; i++) {
      if (p[i].equals(">")) {
        return s.length > i;
      }
      if (i >= s.length) {
        return false;
      }
      if (!p[i].equals("*") && !p[i].equals(s[i])) {
        return false;
      }
    }
    return p.length == s.length;
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

  @Test
  void agreesWithTheTokenDefinitionOnRandomSubjects() {
    Random r = new Random(7);
    String[] subjectTokens = {"a", "b", "ab", "", ">x", "*x", "usage", "llm"};
    String[] patternTokens = {"a", "b", "ab", "", "*", ">", "usage", "llm"};
    for (int i = 0; i < 200_000; i++) {
      String p = join(r, patternTokens, 1 + r.nextInt(4));
      String s = join(r, subjectTokens, 1 + r.nextInt(4));
      assertThat(Subject.matches(p, s)).as("%s ~ %s", p, s).isEqualTo(reference(p, s));
    }
  }
}
