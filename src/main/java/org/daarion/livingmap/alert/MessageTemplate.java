package org.daarion.livingmap.alert;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * A message with {@code {{placeholders}}}, compiled once when rules are loaded and rendered only
 * when an alert fires. A placeholder is a variable ({@code value}, {@code rule}, {@code severity},
 * {@code key}, {@code threshold}, {@code window}, {@code field}, {@code source}) or a path under
 * {@code entity.} or {@code labels.}, optionally followed by a filter: {@code |pct} (0.93 → 93%) or
 * {@code |round} (two decimals). A missing value renders as {@code ?}.
 */
final class MessageTemplate {
  static final Set<String> VARIABLES =
      Set.of(
          "value",
          "rule",
          "severity",
          "key",
          "threshold",
          "window",
          "field",
          "source",
          "entity_id");
  private static final Set<String> FILTERS = Set.of("pct", "round");

  private record Part(String literal, String variable, String filter) {}

  private final String text;
  private final List<Part> parts;

  private MessageTemplate(String text, List<Part> parts) {
    this.text = text;
    this.parts = parts;
  }

  /** Compiles {@code text}; throws {@link IllegalArgumentException} saying what is wrong. */
  static MessageTemplate compile(String text) {
    List<Part> parts = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      int open = text.indexOf("{{", i);
      if (open < 0) {
        parts.add(new Part(text.substring(i), null, null));
        break;
      }
      if (open > i) {
        parts.add(new Part(text.substring(i, open), null, null));
      }
      int close = text.indexOf("}}", open + 2);
      if (close < 0) {
        throw new IllegalArgumentException("unclosed {{ at character " + (open + 1));
      }
      String inner = text.substring(open + 2, close).trim();
      String filter = null;
      int bar = inner.indexOf('|');
      if (bar >= 0) {
        filter = inner.substring(bar + 1).trim();
        inner = inner.substring(0, bar).trim();
        if (!FILTERS.contains(filter)) {
          throw new IllegalArgumentException("unknown filter '" + filter + "' (known: pct, round)");
        }
      }
      if (!(VARIABLES.contains(inner)
          || (inner.startsWith("entity.") && inner.length() > 7)
          || (inner.startsWith("labels.") && inner.length() > 7))) {
        throw new IllegalArgumentException(
            "unknown placeholder {{"
                + inner
                + "}} (known: "
                + String.join(", ", VARIABLES.stream().sorted().toList())
                + ", entity.<field>, labels.<name>)");
      }
      parts.add(new Part(null, inner, filter));
      i = close + 2;
    }
    return new MessageTemplate(text, List.copyOf(parts));
  }

  String render(Function<String, Object> vars) {
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      if (p.literal() != null) {
        sb.append(p.literal());
      } else {
        sb.append(format(vars.apply(p.variable()), p.filter()));
      }
    }
    return sb.toString();
  }

  static String format(Object v, String filter) {
    if (v == null) {
      return "?";
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      if ("pct".equals(filter)) {
        return String.format(Locale.ROOT, "%.0f%%", d * 100);
      }
      if ("round".equals(filter) || (v instanceof Double || v instanceof Float)) {
        return trim(String.format(Locale.ROOT, "%.2f", d));
      }
      return n.toString();
    }
    return v.toString();
  }

  private static String trim(String s) {
    if (s.contains(".")) {
      s = s.replaceAll("0+$", "");
      if (s.endsWith(".")) {
        s = s.substring(0, s.length() - 1);
      }
    }
    return s;
  }

  @Override
  public String toString() {
    return text;
  }
}
