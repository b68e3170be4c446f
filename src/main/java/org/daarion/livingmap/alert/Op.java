package org.daarion.livingmap.alert;

import java.util.List;

/**
 * A comparison of a field's value with a rule's value. A missing field ({@code null}) never matches
 * any operator, so a rule never fires on an entity that lacks the field. Numbers compare as numbers
 * (numeric strings too, as DAARION sends NUMERIC values as strings); everything else compares by
 * its text, so {@code success == false} matches the boolean and the string.
 */
enum Op {
  GT(">", true),
  GE(">=", true),
  LT("<", true),
  LE("<=", true),
  EQ("==", false),
  NE("!=", false),
  IN("in", false),
  NOT_IN("not_in", false);

  final String symbol;
  final boolean numeric;

  Op(String symbol, boolean numeric) {
    this.symbol = symbol;
    this.numeric = numeric;
  }

  static Op parse(String s) {
    for (Op op : values()) {
      if (op.symbol.equals(s)) {
        return op;
      }
    }
    return "=".equals(s) ? EQ : null;
  }

  static String symbols() {
    StringBuilder sb = new StringBuilder();
    for (Op op : values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(op.symbol);
    }
    return sb.toString();
  }

  /** True when the operator on the right side means "above" (hysteresis clears below). */
  boolean above() {
    return this == GT || this == GE;
  }

  boolean test(Object actual, Object expected) {
    if (actual == null) {
      return false;
    }
    return switch (this) {
      case GT, GE, LT, LE -> {
        double a = number(actual);
        if (Double.isNaN(a)) {
          yield false;
        }
        double e = ((Number) expected).doubleValue();
        yield switch (this) {
          case GT -> a > e;
          case GE -> a >= e;
          case LT -> a < e;
          default -> a <= e;
        };
      }
      case EQ -> same(actual, expected);
      case NE -> !same(actual, expected);
      case IN -> contains((List<?>) expected, actual);
      case NOT_IN -> !contains((List<?>) expected, actual);
    };
  }

  static boolean same(Object actual, Object expected) {
    if (expected instanceof Number e) {
      double a = number(actual);
      return !Double.isNaN(a) && a == e.doubleValue();
    }
    return String.valueOf(expected).equals(String.valueOf(actual));
  }

  private static boolean contains(List<?> values, Object actual) {
    for (Object v : values) {
      if (same(actual, v)) {
        return true;
      }
    }
    return false;
  }

  static double number(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
    return Double.NaN;
  }
}
