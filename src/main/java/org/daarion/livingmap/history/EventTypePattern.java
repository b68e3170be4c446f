package org.daarion.livingmap.history;

import java.util.regex.Pattern;

/**
 * An {@code event_type} filter: a subject, or a NATS wildcard pattern where {@code *} matches
 * exactly one token and a final {@code >} matches one or more tokens. Translated to a PostgreSQL
 * regular expression with every literal character escaped, so user text is never SQL or regex.
 */
record EventTypePattern(String text, boolean wildcard, String regex) {
  private static final Pattern TOKEN_CHARS = Pattern.compile("[^\\s*>]+");

  static EventTypePattern parse(String parameter, String text) {
    if (text == null || text.isBlank()) {
      throw new BadParameterException(parameter, "must not be empty");
    }
    if (text.length() > 512) {
      throw new BadParameterException(parameter, "must be at most 512 characters");
    }
    String[] tokens = text.split("\\.", -1);
    boolean wildcard = false;
    StringBuilder re = new StringBuilder("^");
    for (int i = 0; i < tokens.length; i++) {
      String t = tokens[i];
      if (i > 0) {
        re.append("\\.");
      }
      if (t.equals("*")) {
        wildcard = true;
        re.append("[^.]+");
      } else if (t.equals(">")) {
        if (i != tokens.length - 1) {
          throw new BadParameterException(parameter, "'>' may only be the last token");
        }
        wildcard = true;
        re.append(".+");
      } else if (t.isEmpty()) {
        throw new BadParameterException(parameter, "has an empty token");
      } else if (!TOKEN_CHARS.matcher(t).matches()) {
        throw new BadParameterException(
            parameter, "'*' and '>' must be whole tokens, and tokens hold no spaces");
      } else {
        for (char ch : t.toCharArray()) {
          if ("\\^$.|?*+()[]{}".indexOf(ch) >= 0) {
            re.append('\\');
          }
          re.append(ch);
        }
      }
    }
    re.append('$');
    return new EventTypePattern(text, wildcard, re.toString());
  }

  /** Java-side match, same semantics as the SQL (for tests and in-memory filtering). */
  boolean matches(String subject) {
    return wildcard ? Pattern.compile(regex).matcher(subject).matches() : text.equals(subject);
  }
}
