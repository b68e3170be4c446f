package org.daarion.livingmap.history;

import org.daarion.livingmap.event.Subject;

/**
 * An {@code event_type} filter: a subject, or a NATS wildcard pattern ({@link Subject}: {@code *}
 * one token, a final {@code >} one or more). A wildcard is queried as the PostgreSQL regular
 * expression {@link Subject#regex()} gives, with every literal character escaped, so user text is
 * never SQL or regex. This record adds only the query's policy: its length limit and the words of
 * its errors.
 */
record EventTypePattern(String text, boolean wildcard, String regex) {
  static EventTypePattern parse(String parameter, String text) {
    if (text == null || text.isBlank()) {
      throw new BadParameterException(parameter, "must not be empty");
    }
    if (text.length() > 512) {
      throw new BadParameterException(parameter, "must be at most 512 characters");
    }
    Subject.Problem problem = Subject.problem(text);
    if (problem != null) {
      throw new BadParameterException(
          parameter,
          switch (problem) {
            case TAIL_NOT_LAST -> "'>' may only be the last token";
            case EMPTY, EMPTY_TOKEN -> "has an empty token";
            case WHITESPACE, WILDCARD_INSIDE_TOKEN ->
                "'*' and '>' must be whole tokens, and tokens hold no spaces";
          });
    }
    Subject s = Subject.parse(text);
    return new EventTypePattern(text, s.wildcard(), s.regex());
  }

  /** Java-side match, same semantics as the SQL (for tests and in-memory filtering). */
  boolean matches(String subject) {
    return Subject.matches(text, subject);
  }
}
