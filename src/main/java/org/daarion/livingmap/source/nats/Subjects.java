package org.daarion.livingmap.source.nats;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** NATS subject wildcard matching ({@code *} one token, {@code >} one or more trailing tokens). */
final class Subjects {
  private Subjects() {}

  /** Whether the concrete {@code subject} matches the {@code pattern}. */
  static boolean matches(String pattern, String subject) {
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
