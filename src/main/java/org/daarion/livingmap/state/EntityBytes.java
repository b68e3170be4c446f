package org.daarion.livingmap.state;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The byte bound of one entity in the live state. Events may be 1 MiB and reducers keep some of
 * their text (a DAO's name, a microDAO's description, an upstream record in {@code extra}), so
 * without a bound a few hundred such events or one large upstream reply fill the heap with entities
 * that every snapshot, stored snapshot and stream resync then copies. An entity whose data and
 * extra together would exceed {@link #MAX} is refused: the event that would make it so is rejected
 * by its reducer (undone, stored in {@code living_map_rejected_events} with the reason), and an
 * upstream record is skipped (the entity keeps what it had).
 */
final class EntityBytes {
  /**
   * 64 KiB of JSON text per entity: the largest DAARION entities (a DAO with its treasury and
   * active proposals, an agent with its upstream record) are a few KiB.
   */
  static final int MAX = 64 * 1024;

  private static final int MAX_DEPTH = 2000;

  private EntityBytes() {}

  /** The reason {@code e} is too large for the state, or null when it fits. */
  static String overLimit(Entity e) {
    long size = e.id().length() + estimate(e.data(), 0) + estimate(e.extra(), 0);
    if (size <= MAX) {
      return null;
    }
    return "entity "
        + abbreviate(e.id())
        + " would hold about "
        + size
        + " bytes; an entity keeps at most "
        + MAX;
  }

  /**
   * About the length of {@code v} as JSON text (characters, not UTF-8 bytes: an upper bound that is
   * cheap to compute). Stops early once far above the limit.
   */
  static long estimate(Object v, int depth) {
    if (v == null) {
      return 4;
    }
    if (v instanceof String s) {
      return s.length() + 2L;
    }
    if (v instanceof Number || v instanceof Boolean) {
      return 8;
    }
    if (depth > MAX_DEPTH) {
      return 0;
    }
    if (v instanceof JsonObject o) {
      v = o.getMap();
    } else if (v instanceof JsonArray a) {
      v = a.getList();
    }
    long n = 2;
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> en : m.entrySet()) {
        n += String.valueOf(en.getKey()).length() + 4 + estimate(en.getValue(), depth + 1);
        if (n > 2L * MAX) {
          return n;
        }
      }
    } else if (v instanceof List<?> l) {
      for (Object o : l) {
        n += 1 + estimate(o, depth + 1);
        if (n > 2L * MAX) {
          return n;
        }
      }
    } else {
      n += String.valueOf(v).length();
    }
    return n;
  }

  private static String abbreviate(String id) {
    return id.length() <= 80 ? id : id.substring(0, 80) + "…";
  }
}
