package org.daarion.livingmap.source.upstream;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.UpstreamPoll;

/**
 * Which source owns a field when two describe the same entity. Without this, two sources that
 * disagree (city-service calls {@code microdao:daarion} "DAARION DAO", microdao-service "DAARION
 * Core") would overwrite each other on every poll and every poll would emit {@code
 * living_map.entity.updated} for a change nobody made.
 *
 * <p>Rule: per entity type an order of sources; a patch from a source drops the top-level fields
 * that a source earlier in the order set for the same entity (matched by id, id part or alias) in
 * its last successful poll. The patch itself stays, so the lower source still counts as reporting
 * the entity. When the higher source stops reporting the entity, the lower one's fields apply
 * again. Used on the poller's context only.
 */
final class Precedence {
  static final Map<String, List<String>> ORDER =
      Map.of(
          "microdao", List.of("microdao-service", "city-service"),
          "dao", List.of("dao-service", "space-service"),
          "node", List.of("space-service", "city-service"),
          "agent", List.of("agents-service", "usage-engine", "city-service"));

  /**
   * Per source: entity key (id, raw id, alias) to the fields it set. The sets are immutable and
   * shared: most patches of a type from one source set the same fields, and a set per key (ids, raw
   * ids and aliases: 170,000 at 100x DAARION) was about 50 MB of the heap (histogram, 2026-12-06);
   * shared, they are a handful.
   */
  private final Map<String, Map<String, Set<String>>> claims = new HashMap<>();

  /**
   * Records what {@code poll} claims and returns it without fields owned by higher sources. The
   * claims of a {@code partial} poll add to the source's earlier claims instead of replacing them:
   * a field the source could not fetch this time (a failed DAO overview) still belongs to it.
   */
  UpstreamPoll filter(UpstreamPoll poll, boolean partial) {
    // One instance of each field set this poll claims.
    Map<Set<String>, Set<String>> shared = new HashMap<>();
    Map<String, Set<String>> mine = new HashMap<>();
    if (partial) {
      mine.putAll(claims.getOrDefault(poll.source(), Map.of()));
    }
    for (EntityPatch p : poll.patches()) {
      Set<String> fields = intern(shared, Set.copyOf(p.fields().fieldNames()));
      for (String k : keys(p)) {
        mine.merge(k, fields, (a, b) -> union(shared, a, b));
      }
    }
    claims.put(poll.source(), mine);
    List<EntityPatch> out = new ArrayList<>(poll.patches().size());
    boolean changed = false;
    for (EntityPatch p : poll.patches()) {
      Set<String> owned = ownedAbove(poll.source(), p);
      if (owned.isEmpty()) {
        out.add(p);
        continue;
      }
      JsonObject fields = p.fields().copy();
      owned.forEach(fields::remove);
      out.add(new EntityPatch(p.id(), p.type(), fields, p.extra(), p.aliases()));
      changed = true;
    }
    return changed ? new UpstreamPoll(poll.source(), poll.completeTypes(), out) : poll;
  }

  private static Set<String> intern(Map<Set<String>, Set<String>> shared, Set<String> fields) {
    Set<String> known = shared.putIfAbsent(fields, fields);
    return known == null ? fields : known;
  }

  private static Set<String> union(
      Map<Set<String>, Set<String>> shared, Set<String> a, Set<String> b) {
    if (a.containsAll(b)) {
      return a;
    }
    Set<String> u = new HashSet<>(a);
    u.addAll(b);
    return intern(shared, Set.copyOf(u));
  }

  private Set<String> ownedAbove(String source, EntityPatch p) {
    List<String> order = ORDER.get(p.type());
    if (order == null) {
      return Set.of();
    }
    int rank = order.indexOf(source);
    if (rank <= 0) {
      return Set.of();
    }
    Set<String> owned = new HashSet<>();
    List<String> keys = keys(p);
    for (String higher : order.subList(0, rank)) {
      Map<String, Set<String>> theirs = claims.get(higher);
      if (theirs == null) {
        continue;
      }
      for (String k : keys) {
        Set<String> f = theirs.get(k);
        if (f != null) {
          owned.addAll(f);
        }
      }
    }
    return owned;
  }

  private static List<String> keys(EntityPatch p) {
    List<String> keys = new ArrayList<>(p.aliases().size() + 2);
    keys.add(p.id());
    int colon = p.id().indexOf(':');
    if (colon > 0) {
      keys.add(p.type() + "|" + p.id().substring(colon + 1));
    }
    for (String a : p.aliases()) {
      keys.add(p.type() + "|" + a);
    }
    return keys;
  }
}
