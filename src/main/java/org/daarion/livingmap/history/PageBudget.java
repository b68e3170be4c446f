package org.daarion.livingmap.history;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The byte budget of one answer read from PostgreSQL ({@code LIVING_MAP_RESPONSE_BYTES}, overflow
 * policy TRUNCATE): rows are taken while their payload text fits, the first row always (so a page
 * always moves on), and the answer then says where to continue. A thousand 1 MiB rows made a 1 GB
 * answer before, and six of them at once ran the heap out.
 *
 * <p>The driver is asked for rows in small rounds (the statement must run outside autocommit for it
 * to stream), sized from the largest row seen so far so that one round brings about what is left of
 * the budget: small rows still come a few hundred at a time, large ones one by one. A round is also
 * never larger than {@link #ROUND_BYTES} would hold of the largest rows the table can have: the
 * driver holds a whole round, and a page of small rows followed by 1 MiB ones fetched 256 of them
 * at once (the adversary suite's long mode, 2026-12-07: 182 rows of 1 MiB in one reader's round,
 * and a 320 MiB heap gone).
 */
final class PageBudget {
  /**
   * Rows asked for in the first round, before any row's size is known: one, because PostgreSQL
   * turns every row of a round into text, and eight 1 MiB rows for a 1 MiB page cost seconds.
   */
  static final int FIRST_FETCH = 1;

  static final int MAX_FETCH = 256;

  /** What a row costs besides its payload: ids, names, timestamps, JSON punctuation. */
  static final int ROW_OVERHEAD = 256;

  /** What one round of the driver's rows may hold at most, should every row be the largest. */
  static final long ROUND_BYTES = 4L * 1024 * 1024;

  /** What an answer holds besides its rows, at most. */
  static final int ENVELOPE = 1024;

  private final long limit;
  private final long maxRow;
  private long used;
  private long largest = ROW_OVERHEAD;
  private boolean truncated;

  /**
   * @param limit the answer's bytes
   * @param maxRow the largest row the query can return (its variable parts and the overhead)
   */
  PageBudget(long limit, long maxRow) {
    this.limit = limit;
    this.maxRow = Math.max(ROW_OVERHEAD, maxRow);
  }

  /**
   * Whether a row whose variable parts are {@code textChars} long belongs in this page; false once
   * it would pass the budget (then the page is {@link #truncated()}).
   */
  boolean take(long textChars) {
    long row = ROW_OVERHEAD + textChars;
    // the page's own fields (total, truncated, has_more, next) come out of the same budget: two
    // rows that filled it to the byte made an answer 96 bytes over (the adversary suite's heap
    // test, 2026-12-07)
    if (used > 0 && ENVELOPE + used + row > limit) {
      truncated = true;
      return false;
    }
    used += row;
    largest = Math.max(largest, row);
    return true;
  }

  /** Asks the driver for the next round's size; call after each row taken. */
  void adjust(ResultSet rs) throws SQLException {
    // what take() still admits: the envelope is kept out of it there too
    long left = Math.max(0, limit - ENVELOPE - used);
    long worstCase = Math.max(ROUND_BYTES, limit) / maxRow;
    rs.setFetchSize(
        (int) Math.max(1, Math.min(MAX_FETCH, Math.min(left / largest + 1, worstCase))));
  }

  /**
   * What one round of the driver's rows may hold at most in a replay, were every row the largest.
   */
  static final long REPLAY_ROUND_BYTES = 16L * 1024 * 1024;

  /**
   * Rows a replay (time travel, {@code /diff}, a resume) asks for per round, from the largest
   * payload history can hold: 16 with the default 1 MiB (5,000 such rows in one round were 5 GB),
   * up to 5,000 where events are capped at 3 KiB or less.
   */
  static int replayRound(int maxEventBytes) {
    return (int) Math.max(16, Math.min(5_000, REPLAY_ROUND_BYTES / (ROW_OVERHEAD + maxEventBytes)));
  }

  /** The budget stopped the page before its row limit. */
  boolean truncated() {
    return truncated;
  }

  long used() {
    return used;
  }

  long limit() {
    return limit;
  }
}
