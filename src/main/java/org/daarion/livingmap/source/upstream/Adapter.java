package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.daarion.livingmap.config.UpstreamSource;

/**
 * One upstream source: fetches what it says and normalises it to canonical ids and the snapshot
 * fields of {@link org.daarion.livingmap.state.EntityTypes#blank}.
 *
 * <p>Contract of {@link #fetch()}: it never throws and its future never fails with anything but
 * {@link UpstreamException}; a response of the wrong shape fails the fetch (or, when other parts of
 * the source answered, becomes a problem of a partial poll), and a list is marked complete only
 * when every item of it was understood, so a bad answer never empties the map. Called on the
 * poller's context, never twice at once; the parsing of replies runs on the {@link ParseWorker}
 * (see {@link #parse}).
 */
abstract class Adapter {
  protected final UpstreamHttp http;

  Adapter(UpstreamHttp http) {
    this.http = http;
  }

  final UpstreamSource source() {
    return http.source();
  }

  final String service() {
    return http.source().serviceName();
  }

  /** One poll of the source. */
  final Future<Fetched> fetch() {
    try {
      Report r = new Report();
      return doFetch(r)
          .compose(
              set ->
                  http.worker()
                      .run(
                          service() + " poll",
                          () ->
                              new Fetched(
                                  set.toPoll(service()),
                                  r.paths,
                                  r.fallback,
                                  r.retries,
                                  r.problems)))
          .recover(err -> Future.failedFuture(asUpstream(err)));
    } catch (RuntimeException e) {
      return Future.failedFuture(asUpstream(e));
    }
  }

  /**
   * One poll's requests and parsing. Requests are made on the poller's context; the parsing of
   * their replies goes through {@link #parse} or {@link #parseThen}, off the event loop.
   */
  protected abstract Future<PatchSet> doFetch(Report r);

  /**
   * Runs {@code work} (parsing replies already received) on the {@link ParseWorker}; the result
   * comes back on the poller's context. {@code work} may touch the {@link Report} and the adapter's
   * own fields: the poller never runs two polls of a source at once, and the caller starts no other
   * work of this poll until it completes.
   */
  protected final <T> Future<T> parse(java.util.concurrent.Callable<T> work) {
    return http.worker().run(service() + " parse", work);
  }

  /** As {@link #parse} for work that answers with a (completed) future. */
  protected final <T> Future<T> parseThen(java.util.concurrent.Callable<Future<T>> work) {
    return http.worker().compose(service() + " parse", work);
  }

  /** Per-fetch bookkeeping: which paths answered, retries, partial failures. */
  static final class Report {
    final List<String> paths = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    boolean fallback;
    int retries;

    void answered(UpstreamHttp.Reply reply) {
      paths.add(reply.path());
      if (reply.attempts() > 1) {
        retries++;
      }
    }
  }

  /** GET that must answer 2xx: a 404 fails with NOT_FOUND. */
  protected final Future<UpstreamHttp.Reply> required(String path, Report r) {
    return http.get(path)
        .compose(
            reply -> {
              if (reply.notFound()) {
                return Future.failedFuture(
                    UpstreamException.http(path, reply.status(), http.tokenSet()));
              }
              r.answered(reply);
              return Future.succeededFuture(reply);
            });
  }

  /** GET of a path the service may lack: a 404 gives empty. */
  protected final Future<Optional<UpstreamHttp.Reply>> optional(String path, Report r) {
    return http.get(path)
        .map(
            reply -> {
              if (reply.notFound()) {
                return Optional.empty();
              }
              r.answered(reply);
              return Optional.of(reply);
            });
  }

  /** Items understood from one list, and whether every item was. */
  record Parsed(List<PatchSet.Patch> patches, boolean allValid) {
    List<String> ids() {
      return patches.stream().map(p -> p.id).toList();
    }
  }

  /**
   * Normalises each item with {@code f} (null or a throw: not understood). A non-empty list of
   * which no item is understood is a wrong shape.
   */
  protected static Parsed parseItems(
      UpstreamHttp.Reply reply, JsonArray items, Function<JsonObject, PatchSet.Patch> f) {
    List<PatchSet.Patch> out = new ArrayList<>();
    int invalid = 0;
    for (Object item : items) {
      PatchSet.Patch p = null;
      if (item instanceof JsonObject o) {
        try {
          p = f.apply(o);
        } catch (RuntimeException e) {
          p = null;
        }
      }
      if (p == null) {
        invalid++;
      } else {
        out.add(p);
      }
    }
    if (out.isEmpty() && invalid > 0) {
      throw UpstreamException.badPayload(
          reply.path(), "none of " + invalid + " items has the expected fields");
    }
    return new Parsed(out, invalid == 0);
  }

  /** Notes that {@code n} items of a list were skipped, which makes the list incomplete. */
  protected static void skipped(Report r, UpstreamHttp.Reply reply) {
    r.problems.add(
        "some items from " + reply.path() + " lack the expected fields; list not complete");
  }

  static UpstreamException asUpstream(Throwable err) {
    if (err instanceof UpstreamException u) {
      return u;
    }
    return UpstreamException.badPayload(
        "(parse)",
        err.getClass().getSimpleName() + (err.getMessage() == null ? "" : ": " + err.getMessage()));
  }

  /** The first failure among several, preferring one that says more than "not found". */
  static UpstreamException firstError(List<Throwable> errors, String what) {
    UpstreamException notFound = null;
    for (Throwable t : errors) {
      UpstreamException u = asUpstream(t);
      if (u.kind() != UpstreamException.Kind.NOT_FOUND) {
        return u;
      }
      notFound = u;
    }
    return notFound != null
        ? notFound
        : new UpstreamException(UpstreamException.Kind.NOT_FOUND, 404, "no path answered: " + what);
  }

  /** CONTRACT section 4: upstream health words as node statuses (online, offline, warning). */
  static String nodeStatus(String raw) {
    if (raw == null) {
      return null;
    }
    return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
      case "healthy", "good", "online", "ok", "active", "up" -> "online";
      case "warn", "warning", "degraded", "critical", "busy" -> "warning";
      case "offline", "down", "inactive", "dead" -> "offline";
      default -> null;
    };
  }

  /** Planet statuses (active, inactive, warning). */
  static String planetStatus(String raw) {
    if (raw == null) {
      return null;
    }
    return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
      case "good", "healthy", "active", "ok" -> "active";
      case "warn", "warning", "degraded", "critical" -> "warning";
      case "inactive", "offline", "dead" -> "inactive";
      default -> null;
    };
  }
}
