package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * The choice between the path the spec names and the path DAARION really serves, for one resource
 * of one source. The spec path is tried first; when it answers 404 the real path is used and
 * remembered, so later polls go straight there; every {@code specRetryEvery} polls the spec path is
 * asked again. Owned by one adapter, used on the poller's context only.
 */
final class Fallback {
  /** Which variant served a poll. */
  enum Used {
    SPEC,
    FALLBACK
  }

  /** What a variant produced and which one it was. */
  record Served<T>(T value, Used used) {}

  private final int specRetryEvery;
  private boolean specMissing;
  private int pollsSinceSpecTry;

  Fallback(int specRetryEvery) {
    this.specRetryEvery = specRetryEvery;
  }

  /**
   * Runs {@code spec}, or {@code fallback} when the spec variant fails with {@link
   * UpstreamException.Kind#NOT_FOUND} or is known to be missing. Any other failure of the spec
   * variant is the poll's failure: it is not a reason to believe the path is absent.
   */
  <T> Future<Served<T>> run(Supplier<Future<T>> spec, Supplier<Future<T>> fallback) {
    boolean askSpec = !specMissing || ++pollsSinceSpecTry >= specRetryEvery;
    if (!askSpec) {
      return fallback.get().map(v -> new Served<>(v, Used.FALLBACK));
    }
    pollsSinceSpecTry = 0;
    return spec.get()
        .map(
            v -> {
              specMissing = false;
              return new Served<>(v, Used.SPEC);
            })
        .recover(
            err -> {
              if (err instanceof UpstreamException u
                  && u.kind() == UpstreamException.Kind.NOT_FOUND) {
                specMissing = true;
                return fallback.get().map(v -> new Served<>(v, Used.FALLBACK));
              }
              return Future.failedFuture(err);
            });
  }

  boolean specMissing() {
    return specMissing;
  }
}
