package org.daarion.livingmap.source.nats;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** NATS subject wildcard matching ({@code *} one token, {@code >} one or more trailing tokens). */
final class Subjects {
  private Subjects() {}

  /**
   * Whether the concrete {@code subject} matches the {@code pattern}. Called for every JetStream
   * message, so it walks both strings in place instead of splitting them.
   */
  static boolean matches(String pattern, String subject) {
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

  /**
   * Whether every subject {@code inner} can match is also matched by {@code outer} ({@code a.>}
   * covers {@code a.b}, {@code a.*} and {@code a.>}; {@code a.*} does not cover {@code a.>}).
   */
  static boolean covers(String outer, String inner) {
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

  static boolean coveredByAny(String subject, List<String> patterns) {
    return patterns.stream().anyMatch(p -> covers(p, subject));
  }

  static boolean matchesAny(List<String> patterns, String subject) {
    for (String p : patterns) {
      if (matches(p, subject)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The subjects without duplicates and without those another one covers, in their order: a NATS
   * stream refuses overlapping subjects, and overlapping core subscriptions deliver twice.
   */
  static List<String> minimalCover(List<String> subjects) {
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
}
