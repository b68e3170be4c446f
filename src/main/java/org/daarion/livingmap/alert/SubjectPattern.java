package org.daarion.livingmap.alert;

/**
 * A NATS subject pattern: tokens separated by dots, {@code *} matches one token, {@code >} (last
 * only) matches one or more. {@code usage.llm.>} does not match the bare {@code usage.llm}: list
 * both, as the ingest does.
 */
record SubjectPattern(String text, String[] tokens) {
  /** The pattern, or null when it is not a valid one. */
  static SubjectPattern parse(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String[] tokens = text.trim().split("\\.", -1);
    for (int i = 0; i < tokens.length; i++) {
      String t = tokens[i];
      if (t.isEmpty()
          || (t.contains(">") && (!t.equals(">") || i != tokens.length - 1))
          || (t.contains("*") && !t.equals("*"))
          || t.contains(" ")) {
        return null;
      }
    }
    return new SubjectPattern(text.trim(), tokens);
  }

  boolean matches(String subject) {
    int start = 0;
    int n = subject.length();
    for (int i = 0; i < tokens.length; i++) {
      String t = tokens[i];
      if (t.equals(">")) {
        return start < n;
      }
      if (start > n) {
        return false;
      }
      int dot = subject.indexOf('.', start);
      int end = dot < 0 ? n : dot;
      if (!t.equals("*")) {
        if (end - start != t.length() || !subject.startsWith(t, start)) {
          return false;
        }
      } else if (end == start) {
        return false;
      }
      start = end + 1;
    }
    return start == n + 1;
  }
}
