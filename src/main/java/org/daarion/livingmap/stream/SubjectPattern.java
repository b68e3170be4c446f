package org.daarion.livingmap.stream;

import java.util.Arrays;

/**
 * A NATS subject pattern: tokens separated by {@code .}, where {@code *} matches exactly one token
 * and {@code >} (last token only) matches one or more remaining tokens. Immutable.
 */
public final class SubjectPattern {
  private final String text;
  private final String[] tokens;
  private final boolean tail;

  private SubjectPattern(String text, String[] tokens, boolean tail) {
    this.text = text;
    this.tokens = tokens;
    this.tail = tail;
  }

  /**
   * Parses a pattern.
   *
   * @throws IllegalArgumentException saying what is wrong: empty tokens, {@code >} not last, a
   *     wildcard inside a token, whitespace
   */
  public static SubjectPattern parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty pattern");
    }
    if (text.length() > 256) {
      throw new IllegalArgumentException("pattern longer than 256 characters");
    }
    String[] parts = text.split("\\.", -1);
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (p.isEmpty()) {
        throw new IllegalArgumentException("empty token in '" + text + "'");
      }
      for (int c = 0; c < p.length(); c++) {
        if (Character.isWhitespace(p.charAt(c))) {
          throw new IllegalArgumentException("whitespace in '" + text + "'");
        }
      }
      if ((p.contains("*") || p.contains(">")) && p.length() > 1) {
        throw new IllegalArgumentException("wildcard inside a token in '" + text + "'");
      }
      if (p.equals(">") && i != parts.length - 1) {
        throw new IllegalArgumentException("'>' must be the last token in '" + text + "'");
      }
    }
    boolean tail = parts[parts.length - 1].equals(">");
    String[] fixed = tail ? Arrays.copyOf(parts, parts.length - 1) : parts;
    return new SubjectPattern(text, fixed, tail);
  }

  public boolean matches(String subject) {
    if (subject == null) {
      return false;
    }
    int pos = 0;
    int n = subject.length();
    for (String t : tokens) {
      if (pos > n) {
        return false;
      }
      int dot = subject.indexOf('.', pos);
      int end = dot < 0 ? n : dot;
      if (end == pos) {
        return false;
      }
      if (!t.equals("*") && !subject.regionMatches(pos, t, 0, end - pos)
          || !t.equals("*") && t.length() != end - pos) {
        return false;
      }
      pos = end + 1;
    }
    if (tail) {
      return pos < n; // at least one more token
    }
    return pos == n + 1; // consumed exactly everything
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SubjectPattern p && p.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
