package org.daarion.livingmap.simulator;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How one simulated upstream service misbehaves (for resilience tests of the adapters).
 *
 * @param mode what happens to each request
 * @param delayMs {@link Mode#SLOW}: how long a response is held back (on a timer, never blocking)
 * @param status {@link Mode#ERROR} and the error half of {@link Mode#FLAPPING}: HTTP status
 * @param flapEvery {@link Mode#FLAPPING}: requests per ok/error phase (1 alternates every request)
 * @param periodMs {@link Mode#FLAPPING}: when &gt; 0, phases alternate every this many milliseconds
 *     instead of per request
 */
public record Fault(Mode mode, long delayMs, int status, int flapEvery, long periodMs) {
  public enum Mode {
    /** Serve normally. */
    NONE,
    /** Serve normally after {@code delayMs}. */
    SLOW,
    /** Answer {@code status} (500 by default) with a FastAPI-style error body. */
    ERROR,
    /** Answer 200 with a body that is not valid JSON. */
    GARBAGE,
    /**
     * Answer 200 with valid JSON of an unexpected shape: a list comes wrapped in an object ({@code
     * {"results":[…],"count":n}}) and an object comes with every key renamed ({@code x_<key>}).
     */
    WRONG_SHAPE,
    /** Close the connection without answering (as near to "connection refused" as HTTP allows). */
    REFUSED,
    /** Alternate between serving normally and {@link #ERROR}. */
    FLAPPING;

    /** {@code wrong_shape} etc., as the control API spells it. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Mode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown fault mode '"
                + s
                + "'; one of none, slow, error, garbage, wrong_shape, refused, flapping");
      }
    }
  }

  public static final int DEFAULT_STATUS = 500;
  public static final long DEFAULT_DELAY_MS = 10_000;

  public Fault {
    if (mode == null) {
      throw new IllegalArgumentException("mode is required");
    }
    if (delayMs < 0 || periodMs < 0) {
      throw new IllegalArgumentException("delay_ms and period_ms must be >= 0");
    }
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be an HTTP status, was " + status);
    }
    if (flapEvery < 1) {
      throw new IllegalArgumentException("flap_every must be >= 1, was " + flapEvery);
    }
  }

  public static Fault none() {
    return of(Mode.NONE);
  }

  public static Fault of(Mode mode) {
    return new Fault(mode, DEFAULT_DELAY_MS, DEFAULT_STATUS, 1, 0);
  }

  public static Fault slow(Duration delay) {
    return new Fault(Mode.SLOW, delay.toMillis(), DEFAULT_STATUS, 1, 0);
  }

  public static Fault error(int status) {
    return new Fault(Mode.ERROR, DEFAULT_DELAY_MS, status, 1, 0);
  }

  public static Fault garbage() {
    return of(Mode.GARBAGE);
  }

  public static Fault wrongShape() {
    return of(Mode.WRONG_SHAPE);
  }

  public static Fault refused() {
    return of(Mode.REFUSED);
  }

  /** Alternates ok and error (503) every {@code every} requests. */
  public static Fault flapping(int every) {
    return new Fault(Mode.FLAPPING, DEFAULT_DELAY_MS, 503, every, 0);
  }

  /** Alternates ok and error (503) every {@code period}. */
  public static Fault flapping(Duration period) {
    return new Fault(Mode.FLAPPING, DEFAULT_DELAY_MS, 503, 1, Math.max(1, period.toMillis()));
  }

  /**
   * From the control API's body: {@code {"mode":"slow","delay_ms":10000,"status":503,
   * "flap_every":1,"period_ms":0}}; only {@code mode} is required.
   */
  public static Fault fromMap(Map<String, Object> body) {
    Object mode = body.get("mode");
    if (!(mode instanceof String m)) {
      throw new IllegalArgumentException("body needs a string \"mode\"");
    }
    Mode parsed = Mode.parse(m);
    int defaultStatus = parsed == Mode.FLAPPING ? 503 : DEFAULT_STATUS;
    return new Fault(
        parsed,
        number(body, "delay_ms", DEFAULT_DELAY_MS),
        (int) number(body, "status", defaultStatus),
        (int) number(body, "flap_every", 1),
        number(body, "period_ms", 0));
  }

  private static long number(Map<String, Object> body, String key, long dflt) {
    Object v = body.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    throw new IllegalArgumentException("\"" + key + "\" must be a number");
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", mode.wireName());
    m.put("delay_ms", delayMs);
    m.put("status", status);
    m.put("flap_every", flapEvery);
    m.put("period_ms", periodMs);
    return m;
  }
}
