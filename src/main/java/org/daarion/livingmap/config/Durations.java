package org.daarion.livingmap.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration syntax of settings and alert rules: a whole number with an optional unit, {@code
 * 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 30d}; a bare number is seconds. Surrounding
 * blanks and the case of the unit are ignored. Callers word their own errors.
 */
public final class Durations {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

  private Durations() {}

  /**
   * The duration {@code text} names, or null when it names none.
   *
   * @throws NumberFormatException when the number does not fit a long
   */
  public static Duration parse(String text) {
    Matcher m = DURATION.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
