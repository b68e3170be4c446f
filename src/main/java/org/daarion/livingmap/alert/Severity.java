package org.daarion.livingmap.alert;

import java.util.Locale;

/** How bad an alert is. Only {@code warning} and {@code critical} turn an entity's status. */
public enum Severity {
  INFO,
  WARNING,
  CRITICAL;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The severity named {@code s} (case-insensitive), or null. */
  public static Severity parse(String s) {
    if (s == null) {
      return null;
    }
    for (Severity v : values()) {
      if (v.label().equalsIgnoreCase(s.trim())) {
        return v;
      }
    }
    return null;
  }
}
