package org.daarion.livingmap.api.http;

import io.vertx.core.MultiMap;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Reads and validates query parameters; every failure is a {@link BadParameter} naming one. */
public final class Params {
  private final MultiMap query;

  public Params(MultiMap query) {
    this.query = query;
  }

  /** The trimmed value, or null when absent or blank. */
  public String string(String name) {
    String v = query.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  public int intIn(String name, int dflt, int min, int max) {
    String v = string(name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new BadParameter(
            name, name + " must be between " + min + " and " + max + ", got " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new BadParameter(name, name + " must be a whole number, got '" + v + "'");
    }
  }

  public String oneOf(String name, Collection<String> allowed) {
    String v = string(name);
    if (v != null && !allowed.contains(v)) {
      throw new BadParameter(
          name, name + " must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
    }
    return v;
  }

  public List<String> list(String name) {
    String v = string(name);
    List<String> out = new ArrayList<>();
    if (v != null) {
      for (String part : v.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return out;
  }

  public Instant instant(String name) {
    String v = string(name);
    return v == null ? null : parseInstant(name, v);
  }

  /** ISO-8601 with an offset, or without one (then UTC, as DAARION's naive timestamps mean). */
  static Instant parseInstant(String name, String v) {
    Instant at;
    try {
      at = OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      try {
        at = LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw new BadParameter(
            name,
            name + " must be an ISO-8601 date-time such as 2025-11-28T10:00:00Z, got '" + v + "'");
      }
    }
    if (!org.daarion.livingmap.history.HistoryQuery.inRange(at)) {
      throw new BadParameter(name, name + " " + org.daarion.livingmap.history.HistoryQuery.RANGE);
    }
    return at;
  }
}
