package org.daarion.livingmap.event;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The one subject grammar of the service: NATS subjects and patterns, and so event types. Tokens
 * are separated by {@code .}; in a pattern {@code *} matches exactly one token and a final {@code
 * >} matches one or more remaining tokens. A token is compared as a whole: {@code usage.llm} does
 * not match {@code usage.llmx}, and {@code usage.llm.>} does not match the bare {@code usage.llm}
 * (list both).
 *
 * <p>Used by the NATS ingest (which subjects to consume, stream subject cover), stream filters
 * ({@code events=}), alert rules ({@code rate.event_type}) and history queries ({@code event_type},
 * also as a PostgreSQL regular expression). Callers keep only their own policy around it: length
 * limits and the words of their error messages.
 *
 * <p>Matching is the token definition: split both on dots, empty tokens kept, compare token by
 * token ({@code *} matches any one token, even an empty one). Valid NATS subjects have no empty
 * tokens, so this only decides odd event types; ingest, stream, alerts and history agree on it.
 * Immutable.
 */
public final class Subject {
  /** What makes a text no valid pattern; callers word it for their users. */
  public enum Problem {
    /** Null or empty. */
    EMPTY("empty pattern"),
    /** Two dots in a row, or a leading or trailing dot. */
    EMPTY_TOKEN("empty token in '%s'"),
    /** A whitespace character in a token. */
    WHITESPACE("whitespace in '%s'"),
    /** {@code *} or {@code >} with other characters in one token. */
    WILDCARD_INSIDE_TOKEN("wildcard inside a token in '%s'"),
    /** {@code >} before the last token. */
    TAIL_NOT_LAST("'>' must be the last token in '%s'");

    private final String message;

    Problem(String message) {
      this.message = message;
    }

    /** The default wording (the stream filter's), naming the pattern. */
    public String message(String text) {
      return String.format(message, text);
    }
  }

  /** A text that is not a valid pattern: {@link #problem()} says why. */
  public static final class InvalidSubject extends IllegalArgumentException {
    private final transient Problem problem;

    InvalidSubject(Problem problem, String text) {
      super(problem.message(text));
      this.problem = problem;
    }

    public Problem problem() {
      return problem;
    }
  }

  private final String text;
  private final boolean wildcard;

  private Subject(String text, boolean wildcard) {
    this.text = text;
    this.wildcard = wildcard;
  }

  /**
   * Parses a subject or pattern.
   *
   * @throws InvalidSubject for the first problem, left to right (see {@link #problem(String)})
   */
  public static Subject parse(String text) {
    Problem p = problem(text);
    if (p != null) {
      throw new InvalidSubject(p, text);
    }
    return new Subject(text, hasWildcard(text));
  }

  /**
   * Why {@code text} is not a valid pattern, or null when it is. Tokens are checked left to right;
   * within a token: empty, whitespace, wildcard inside, {@code >} not last.
   */
  public static Problem problem(String text) {
    if (text == null || text.isEmpty()) {
      return Problem.EMPTY;
    }
    int start = 0;
    int n = text.length();
    while (true) {
      int dot = text.indexOf('.', start);
      int end = dot < 0 ? n : dot;
      if (end == start) {
        return Problem.EMPTY_TOKEN;
      }
      boolean wild = false;
      for (int c = start; c < end; c++) {
        char ch = text.charAt(c);
        if (Character.isWhitespace(ch)) {
          return Problem.WHITESPACE;
        }
        wild |= ch == '*' || ch == '>';
      }
      if (wild && end - start > 1) {
        return Problem.WILDCARD_INSIDE_TOKEN;
      }
      if (text.charAt(start) == '>' && end - start == 1 && end != n) {
        return Problem.TAIL_NOT_LAST;
      }
      if (end == n) {
        return null;
      }
      start = end + 1;
    }
  }

  private static boolean hasWildcard(String valid) {
    return valid.indexOf('*') >= 0 || valid.indexOf('>') >= 0;
  }

  /** The pattern as written. */
  public String text() {
    return text;
  }

  /** Whether the pattern has a {@code *} or {@code >} token (otherwise it names one subject). */
  public boolean wildcard() {
    return wildcard;
  }

  /** Whether the concrete {@code subject} matches this pattern; null matches nothing. */
  public boolean matches(String subject) {
    return subject != null && matches(text, subject);
  }

  /**
   * Whether the concrete {@code subject} matches {@code pattern} (not validated here). Called for
   * every JetStream message, so it walks both strings in place instead of splitting them.
   */
  public static boolean matches(String pattern, String subject) {
    int pl = pattern.length();
    int sl = subject.length();
    int pi = 0;
    int si = 0; // si > sl: the subject has no token left
    while (true) {
      int pe = pattern.indexOf('.', pi);
      if (pe < 0) {
        pe = pl;
      }
      if (pe - pi == 1 && pattern.charAt(pi) == '>') {
        return si <= sl;
      }
      if (si > sl) {
        return false;
      }
      int se = subject.indexOf('.', si);
      if (se < 0) {
        se = sl;
      }
      boolean star = pe - pi == 1 && pattern.charAt(pi) == '*';
      if (!star && (pe - pi != se - si || !pattern.regionMatches(pi, subject, si, pe - pi))) {
        return false;
      }
      pi = pe + 1;
      si = se + 1;
      if (pe == pl) {
        return si > sl;
      }
    }
  }

  /** Whether any of {@code patterns} matches {@code subject}. */
  public static boolean matchesAny(List<String> patterns, String subject) {
    for (String p : patterns) {
      if (matches(p, subject)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether every subject {@code inner} can match is also matched by {@code outer} ({@code a.>}
   * covers {@code a.b}, {@code a.*} and {@code a.>}; {@code a.*} does not cover {@code a.>}).
   */
  public static boolean covers(String outer, String inner) {
    String[] o = outer.split("\\.", -1);
    String[] n = inner.split("\\.", -1);
    for (int i = 0; i < o.length; i++) {
      if (o[i].equals(">")) {
        return n.length > i;
      }
      if (i >= n.length) {
        return false;
      }
      if (n[i].equals(">")) {
        return false;
      }
      if (o[i].equals("*")) {
        continue;
      }
      if (n[i].equals("*") || !o[i].equals(n[i])) {
        return false;
      }
    }
    return o.length == n.length;
  }

  /** Whether one of {@code patterns} covers {@code subject}. */
  public static boolean coveredByAny(String subject, List<String> patterns) {
    return patterns.stream().anyMatch(p -> covers(p, subject));
  }

  /**
   * The subjects without duplicates and without those another one covers, in their order: a NATS
   * stream refuses overlapping subjects, and overlapping core subscriptions deliver twice.
   */
  public static List<String> minimalCover(List<String> subjects) {
    List<String> distinct = new ArrayList<>(new LinkedHashSet<>(subjects));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < distinct.size(); i++) {
      String s = distinct.get(i);
      boolean covered = false;
      for (int j = 0; j < distinct.size() && !covered; j++) {
        covered = i != j && covers(distinct.get(j), s) && !covers(s, distinct.get(j));
      }
      if (!covered) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /**
   * The pattern as an anchored regular expression with the same matches (PostgreSQL {@code ~} and
   * {@link java.util.regex.Pattern} with {@code DOTALL}): every literal character escaped, so user
   * text is never SQL or regex syntax.
   */
  public String regex() {
    StringBuilder re = new StringBuilder("^");
    String[] tokens = text.split("\\.", -1);
    for (int i = 0; i < tokens.length; i++) {
      String t = tokens[i];
      if (i > 0) {
        re.append("\\.");
      }
      if (t.equals("*")) {
        re.append("[^.]*");
      } else if (t.equals(">")) {
        re.append(".*");
      } else {
        for (int c = 0; c < t.length(); c++) {
          char ch = t.charAt(c);
          if ("\\^$.|?*+()[]{}".indexOf(ch) >= 0) {
            re.append('\\');
          }
          re.append(ch);
        }
      }
    }
    return re.append('$').toString();
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Subject s && s.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
