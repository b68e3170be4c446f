package org.daarion.livingmap.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.daarion.livingmap.api.http.BadParameter;
import org.daarion.livingmap.api.http.Params;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;
import org.daarion.livingmap.history.SnapshotDiff;
import org.daarion.livingmap.history.TimeTravel;
import org.daarion.livingmap.state.Snapshot;
import org.daarion.livingmap.wire.Deflate;

/**
 * {@code GET /living-map/diff}: what changed between two instants ({@code from}, {@code to}, ISO)
 * or two positions ({@code from_seq}, {@code to_seq}, in {@code epoch}, by default the live one),
 * each state rebuilt by time travel (stored snapshot plus replay):
 *
 * <pre>
 * {"from": {"at", "seq", "epoch", "snapshot_at", "events_replayed"}, "to": {...},
 *  "added": [entity], "removed": [entity],
 *  "changed": [{"id", "type", "fields": {"path": {"from", "to"}}}],
 *  "counts": {"added", "removed", "changed"}, "has_more", "next_cursor"?}
 * </pre>
 *
 * <p>Filters {@code layer}, {@code type}, {@code entity_id} (comma lists). Entries are in entity id
 * order and paged: at most {@code limit} entries (default 1000, at most 5000) and about {@link
 * #PAGE_BYTES} of JSON per page; {@code next_cursor} (the last id of the page) passed as {@code
 * cursor} continues. {@code counts} count the whole filtered diff. The last diff computed is kept
 * for {@link #KEEP_MS} so that its next pages do not replay history again.
 *
 * <p>A {@code to} at most {@link #LIVE_WITHIN_MS} before now (or later) is the live state as it is
 * prepared now, not a rebuild: "the last 5 minutes" then costs one rebuild instead of two (at 100x
 * DAARION each took 4-10 s). Its position says so: {@code "live": true}, {@code at} the live
 * state's instant and {@code requested_at} the instant asked.
 */
public final class DiffRoutes implements RouteGroup {
  /** About this many bytes of entries per page (at least one entry). */
  static final int PAGE_BYTES = 1024 * 1024;

  static final long KEEP_MS = 60_000;

  /** How far before now a {@code to} is still answered with the live state. */
  static final long LIVE_WITHIN_MS = 2_000;

  private static final Set<String> LAYERS = Set.of("city", "space", "nodes", "agents");
  private static final Set<String> TYPES = Set.of("microdao", "channel", "dao", "node", "agent");

  private final TimeTravel timeTravel;
  private final Supplier<String> liveEpoch;
  private final LayerVisibility visibility;
  private final Supplier<CompletableFuture<Snapshot>> live;
  private final Executor parser;

  private record Side(SnapshotDiff.Side kept, JsonObject position) {}

  private record Computed(
      String key, long atMs, JsonObject from, JsonObject to, List<SnapshotDiff.Entry> entries) {}

  private volatile Computed last;

  /**
   * @param live the live state's snapshot prepared from now on (null: every side is rebuilt)
   * @param parser where the live snapshot is read into entities (blocking work, off the loops)
   */
  public DiffRoutes(
      TimeTravel timeTravel,
      Supplier<String> liveEpoch,
      LayerVisibility visibility,
      Supplier<CompletableFuture<Snapshot>> live,
      Executor parser) {
    this.timeTravel = timeTravel;
    this.liveEpoch = liveEpoch;
    this.visibility = visibility;
    this.live = live;
    this.parser = parser;
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/diff").handler(this::diff);
  }

  private void diff(RoutingContext ctx) {
    Params p = new Params(ctx.queryParams());
    Instant from = p.instant("from");
    Instant to = p.instant("to");
    Long fromSeq = seq(p, "from_seq");
    Long toSeq = seq(p, "to_seq");
    boolean byTime = from != null || to != null;
    boolean bySeq = fromSeq != null || toSeq != null;
    if (byTime && bySeq) {
      throw new BadParameter("from", "give either from and to, or from_seq and to_seq, not both");
    }
    if (!byTime && !bySeq) {
      throw new BadParameter("from", "from and to (ISO-8601) or from_seq and to_seq are required");
    }
    if (byTime && (from == null || to == null)) {
      throw new BadParameter(from == null ? "from" : "to", "both from and to are required");
    }
    if (bySeq && (fromSeq == null || toSeq == null)) {
      throw new BadParameter(
          fromSeq == null ? "from_seq" : "to_seq", "both from_seq and to_seq are required");
    }
    if (byTime && from.isAfter(to)) {
      throw new BadParameter("to", "to must not be before from");
    }
    if (bySeq && fromSeq > toSeq) {
      throw new BadParameter("to_seq", "to_seq must not be below from_seq");
    }
    Set<String> layers = Set.copyOf(p.list("layer"));
    Set<String> types = Set.copyOf(p.list("type"));
    for (String l : layers) {
      if (!LAYERS.contains(l)) {
        throw new BadParameter("layer", "unknown layer '" + l + "'; one of " + LAYERS);
      }
    }
    for (String t : types) {
      if (!TYPES.contains(t)) {
        throw new BadParameter("type", "unknown type '" + t + "'; one of " + TYPES);
      }
    }
    Set<String> hidden = visibility.hiddenLayers(ctx);
    if (!hidden.isEmpty()) {
      // Layers the caller may not see are left out as if filtered away.
      Set<String> visible = new java.util.HashSet<>(layers.isEmpty() ? LAYERS : layers);
      visible.removeAll(hidden);
      layers = visible.isEmpty() ? Set.of("-") : Set.copyOf(visible);
    }
    Set<String> ids = Set.copyOf(p.list("entity_id"));
    int limit = p.intIn("limit", 1000, 1, 5000);
    String cursor = p.string("cursor");
    String epoch = p.string("epoch") != null ? p.string("epoch") : liveEpoch.get();
    if (timeTravel == null) {
      Responses.unavailable(ctx, "the diff needs the history store");
      return;
    }
    String key =
        (byTime ? from + "/" + to : epoch + "/" + fromSeq + "/" + toSeq)
            + "|"
            + new java.util.TreeSet<>(layers)
            + new java.util.TreeSet<>(types)
            + new java.util.TreeSet<>(ids);
    Computed c = last;
    CompletableFuture<Computed> result;
    if (c != null && c.key().equals(key) && System.currentTimeMillis() - c.atMs() < KEEP_MS) {
      result = CompletableFuture.completedFuture(c);
    } else {
      // "The last hour" on a service younger than that starts at its oldest stored snapshot; the
      // answer's from.at says so (from.requested_at is what was asked). The sides are rebuilt one
      // after the other, each kept as bytes before the next: two whole states at once do not fit
      // beside the live one at 100x DAARION's size.
      SnapshotDiff.Filter filter = new SnapshotDiff.Filter(layers, types, ids);
      CompletableFuture<Side> fromSide =
          byTime ? sideFrom(from, filter) : side(epoch, fromSeq, filter);
      // Decided and taken as the request arrives, not after the from side's rebuild (seconds at
      // 100x), by when every "now" was too old; held compressed meanwhile. Only for a diff whose
      // rebuild was admitted: one preparation per refused request would let a client keep the
      // service preparing snapshots.
      CompletableFuture<Snapshot> liveTo =
          byTime
                  && live != null
                  && to.toEpochMilli() >= System.currentTimeMillis() - LIVE_WITHIN_MS
                  && !fromSide.isCompletedExceptionally()
              ? live.get()
              : null;
      result =
          fromSide.thenCompose(
              x ->
                  (liveTo != null
                          ? liveSide(liveTo, to, filter)
                          : byTime ? side(to, filter) : side(epoch, toSeq, filter))
                      .thenApply(
                          y -> {
                            Computed done =
                                new Computed(
                                    key,
                                    System.currentTimeMillis(),
                                    x.position(),
                                    y.position(),
                                    SnapshotDiff.entries(x.kept(), y.kept()));
                            last = done;
                            return done;
                          }));
    }
    Responses.whenDone(
        ctx,
        result,
        (done, err) -> {
          if (err != null) {
            Throwable cause = err.getCause() != null ? err.getCause() : err;
            if (cause instanceof NotFound nf) {
              Responses.notFound(ctx, nf.getMessage());
            } else if (cause instanceof TimeTravel.Busy busy) {
              Responses.busy(ctx, busy.getMessage(), TimeTravel.Busy.RETRY_AFTER_SECONDS);
            } else {
              Responses.unavailable(ctx, "diff failed: " + cause.getMessage());
            }
            return;
          }
          Responses.json(ctx, 200, page(done, cursor, limit));
        });
  }

  private static Long seq(Params p, String name) {
    String v = p.string(name);
    if (v == null) {
      return null;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new BadParameter(name, name + " must be a non-negative integer, got '" + v + "'");
    }
  }

  private static final class NotFound extends RuntimeException {
    NotFound(String message) {
      super(message, null, false, false);
    }
  }

  private CompletableFuture<Side> side(Instant at, SnapshotDiff.Filter filter) {
    return timeTravel.stateAt(at).thenApply(r -> toSide(r, filter));
  }

  private CompletableFuture<Side> sideFrom(Instant at, SnapshotDiff.Filter filter) {
    return timeTravel
        .stateAtOrEarliest(at)
        .thenApply(
            r -> {
              Side s = toSide(r, filter);
              if (r.at() != null && !r.at().equals(at)) {
                s.position().put("requested_at", at.toString());
              }
              return s;
            });
  }

  private CompletableFuture<Side> liveSide(
      CompletableFuture<Snapshot> snapshot, Instant at, SnapshotDiff.Filter filter) {
    return snapshot.thenApplyAsync(
        s -> {
          // Inflated here, not through Snapshot.json(): the snapshot would keep the tree (and
          // its bytes) for as long as it stays the latest.
          JsonObject state = new JsonObject(Deflate.inflate(s.compressed()));
          JsonObject pos =
              position(s.generatedAt().truncatedTo(ChronoUnit.MICROS), s.seq(), s.epoch(), null, 0)
                  .put("live", true)
                  .put("requested_at", at.toString());
          return new Side(SnapshotDiff.keep(state, filter), pos);
        },
        parser);
  }

  private CompletableFuture<Side> side(String epoch, long seq, SnapshotDiff.Filter filter) {
    return timeTravel.stateAtSeq(epoch, seq).thenApply(r -> toSide(r, filter));
  }

  private static Side toSide(TimeTravel.Result r, SnapshotDiff.Filter filter) {
    if (!r.found()) {
      throw new NotFound(r.reason());
    }
    JsonObject pos =
        position(
            r.at(),
            r.state().getValue("seq"),
            r.state().getValue("epoch"),
            r.base() == null ? null : r.base().generatedAt(),
            r.eventsReplayed());
    return new Side(SnapshotDiff.keep(r.state(), filter), pos);
  }

  /** A side's position in the answer ({@code from} or {@code to}), rebuilt or live alike. */
  private static JsonObject position(
      Instant at, Object seq, Object epoch, Instant snapshotAt, int eventsReplayed) {
    return new JsonObject()
        .put("at", at == null ? null : at.toString())
        .put("seq", seq)
        .put("epoch", epoch)
        .put("snapshot_at", snapshotAt == null ? null : snapshotAt.toString())
        .put("events_replayed", eventsReplayed);
  }

  static JsonObject page(Computed c, String cursor, int limit) {
    JsonArray added = new JsonArray();
    JsonArray removed = new JsonArray();
    JsonArray changed = new JsonArray();
    int na = 0;
    int nr = 0;
    int nc = 0;
    for (SnapshotDiff.Entry e : c.entries()) {
      switch (e.kind()) {
        case "added" -> na++;
        case "removed" -> nr++;
        default -> nc++;
      }
    }
    int n = 0;
    long bytes = 0;
    String lastId = null;
    boolean more = false;
    for (SnapshotDiff.Entry e : c.entries()) {
      if (cursor != null && e.id().compareTo(cursor) <= 0) {
        continue;
      }
      if (n >= limit || (n > 0 && bytes >= PAGE_BYTES)) {
        more = true;
        break;
      }
      bytes += e.json().encode().getBytes(StandardCharsets.UTF_8).length;
      switch (e.kind()) {
        case "added" -> added.add(e.json());
        case "removed" -> removed.add(e.json());
        default -> changed.add(e.json());
      }
      lastId = e.id();
      n++;
    }
    JsonObject out =
        new JsonObject()
            .put("from", c.from())
            .put("to", c.to())
            .put("added", added)
            .put("removed", removed)
            .put("changed", changed)
            .put(
                "counts",
                new JsonObject()
                    .put("added", na)
                    .put("removed", nr)
                    .put("changed", nc)
                    .put("total", na + nr + nc))
            .put("has_more", more);
    if (more) {
      out.put("next_cursor", lastId);
    }
    return out;
  }
}
