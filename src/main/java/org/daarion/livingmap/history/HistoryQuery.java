package org.daarion.livingmap.history;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code GET /living-map/history} request. All filters are optional (null) and combine with
 * AND.
 *
 * @param since only events at or after this instant
 * @param until only events at or before this instant
 * @param eventType a subject or NATS wildcard pattern ({@code agent.event.*}, {@code dao.>})
 * @param entityId exact canonical entity id ({@code node:gpu-1})
 * @param entityType exact entity type
 * @param sourceService exact source service
 * @param limit 1..1000, default 200
 * @param offset rows to skip, 0..1,000,000
 * @param beforeSeq cursor: only events with a smaller seq, within {@code epoch}
 * @param afterSeq cursor: only events with a greater seq, within {@code epoch}
 * @param epoch the epoch the seq cursors refer to; null means the newest epoch in history
 */
public record HistoryQuery(
    Instant since,
    Instant until,
    String eventType,
    String entityId,
    String entityType,
    String sourceService,
    int limit,
    int offset,
    Long beforeSeq,
    Long afterSeq,
    String epoch,
    java.util.Set<String> hiddenEntityTypes) {
  public static final int DEFAULT_LIMIT = 200;
  public static final int MAX_LIMIT = 1000;
  public static final int MAX_OFFSET = 1_000_000;

  /** Statistics request: buckets of {@code bucket} from {@code since} (incl.) to {@code until}. */
  public record Stats(Instant since, Instant until, Duration bucket) {
    public static final int MAX_BUCKETS = 10_000;

    public Stats {
      if (!since.isBefore(until)) {
        throw new BadParameterException("since", "must be before until");
      }
      if (bucket.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new BadParameterException("bucket", "must be at least 1s");
      }
      long buckets = Duration.between(since, until).getSeconds() / bucket.getSeconds() + 1;
      if (buckets > MAX_BUCKETS) {
        throw new BadParameterException(
            "bucket", "gives " + buckets + " buckets; at most " + MAX_BUCKETS + " are allowed");
      }
    }

    /**
     * Parses {@code since}, {@code until} (default: now and an hour before) and {@code bucket}
     * ({@code 10s}, {@code 1m}, {@code 1h}, {@code 1d}; default {@code 1m}).
     */
    public static Stats parse(Map<String, String> params, Instant now) {
      Instant until = instant(params, "until");
      Instant since = instant(params, "since");
      if (until == null) {
        until = now;
      }
      if (since == null) {
        since = until.minus(Duration.ofHours(1));
      }
      String b = blankToNull(params.get("bucket"));
      Duration bucket = b == null ? Duration.ofMinutes(1) : HistoryQuery.bucket(b);
      return new Stats(since, until, bucket);
    }
  }

  public HistoryQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new BadParameterException("limit", "must be between 1 and " + MAX_LIMIT);
    }
    if (offset < 0 || offset > MAX_OFFSET) {
      throw new BadParameterException("offset", "must be between 0 and " + MAX_OFFSET);
    }
    if (beforeSeq != null && beforeSeq < 0) {
      throw new BadParameterException("before_seq", "must be >= 0");
    }
    if (afterSeq != null && afterSeq < 0) {
      throw new BadParameterException("after_seq", "must be >= 0");
    }
    if (since != null && until != null && since.isAfter(until)) {
      throw new BadParameterException("since", "must not be after until");
    }
    if (eventType != null) {
      EventTypePattern.parse("event_type", eventType);
    }
  }

  /** Everything, newest first, the default page. */
  public static HistoryQuery all() {
    return new HistoryQuery(
        null, null, null, null, null, null, DEFAULT_LIMIT, 0, null, null, null, java.util.Set.of());
  }

  /**
   * Parses query-string parameters (snake_case names as in the API). Unknown names are ignored.
   *
   * @throws BadParameterException naming the first bad parameter
   */
  public static HistoryQuery parse(Map<String, String> params) {
    return new HistoryQuery(
        instant(params, "since"),
        instant(params, "until"),
        blankToNull(params.get("event_type")),
        blankToNull(params.get("entity_id")),
        blankToNull(params.get("entity_type")),
        blankToNull(params.get("source_service")),
        (int) number(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        (int) number(params, "offset", 0, 0, MAX_OFFSET),
        optionalNumber(params, "before_seq"),
        optionalNumber(params, "after_seq"),
        blankToNull(params.get("epoch")),
        java.util.Set.of());
  }

  /**
   * Whether a page of {@code items} rows tells the total by itself ({@code offset} plus its rows):
   * it is the last, and it is not an empty page past the end. Otherwise the total is counted.
   */
  boolean pageTellsTotal(int items, boolean hasMore) {
    return !hasMore && (offset == 0 || items > 0);
  }

  public HistoryQuery withLimit(int newLimit) {
    return new HistoryQuery(
        since,
        until,
        eventType,
        entityId,
        entityType,
        sourceService,
        newLimit,
        offset,
        beforeSeq,
        afterSeq,
        epoch,
        hiddenEntityTypes);
  }

  /**
   * The same query, leaving out events of these entity types (the layers a caller's roles may not
   * see). Events with no entity type stay visible.
   */
  public HistoryQuery hiding(java.util.Set<String> entityTypes) {
    return new HistoryQuery(
        since,
        until,
        eventType,
        entityId,
        entityType,
        sourceService,
        limit,
        offset,
        beforeSeq,
        afterSeq,
        epoch,
        java.util.Set.copyOf(entityTypes));
  }

  EventTypePattern eventTypePattern() {
    return eventType == null ? null : EventTypePattern.parse("event_type", eventType);
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static long number(Map<String, String> p, String name, long dflt, long min, long max) {
    String v = blankToNull(p.get(name));
    if (v == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(v);
      if (n < min || n > max) {
        throw new BadParameterException(name, "must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new BadParameterException(name, "must be a whole number");
    }
  }

  private static Long optionalNumber(Map<String, String> p, String name) {
    String v = blankToNull(p.get(name));
    if (v == null) {
      return null;
    }
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new BadParameterException(name, "must be >= 0");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new BadParameterException(name, "must be a whole number");
    }
  }

  /**
   * ISO-8601: {@code 2026-01-01T10:00:00Z}, with an offset, without one (UTC, as the original's
   * {@code fromisoformat} took it), or a date alone (its start, UTC).
   */
  static Instant instant(Map<String, String> p, String name) {
    Instant at = parseInstant(p, name);
    if (at != null && !inRange(at)) {
      throw new BadParameterException(name, RANGE);
    }
    return at;
  }

  /** What {@link #inRange} allows, as a parameter's error detail says it. */
  public static final String RANGE = "must be between the years 1 and 9999";

  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

  /**
   * Whether an instant can be compared with stored timestamps: Java parses years to ±999999999,
   * PostgreSQL's timestamptz stops at 4713 BC and 294276 AD and refuses the rest with its own error
   * text; the API takes the years 1 to 9999.
   */
  public static boolean inRange(Instant at) {
    return !at.isBefore(EARLIEST) && !at.isAfter(LATEST);
  }

  private static Instant parseInstant(Map<String, String> p, String name) {
    String v = blankToNull(p.get(name));
    if (v == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException ignored) {
      // try the other forms
    }
    try {
      return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException ignored) {
      // try a date
    }
    try {
      return LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new BadParameterException(
          name, "must be an ISO-8601 date-time such as 2026-01-01T10:00:00Z");
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(s|m|h|d)?");

  static Duration bucket(String v) {
    Matcher m = DURATION.matcher(v.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new BadParameterException("bucket", "must be a duration such as 10s, 1m, 1h or 1d");
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new BadParameterException("bucket", "is too large");
    }
    if (n < 1 || n > 366L * 86400) {
      throw new BadParameterException("bucket", "must be between 1s and 366d");
    }
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
