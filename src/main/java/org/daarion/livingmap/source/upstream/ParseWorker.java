package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * Where the CPU-heavy part of handling a poll reply runs: decoding the body, the NUL and
 * finite-number checks, the adapters' item parsing and the precedence filter. At 100x DAARION's
 * size a reply is many megabytes and that work took seconds on the poller's event loop (Vert.x
 * blocked-thread warnings of 2.4 s), stalling every other handler on that loop; here it runs on a
 * small named Vert.x worker pool instead.
 *
 * <p>Tasks are unordered (the caller orders them: a poll's replies are joined before they are
 * parsed, and the poller chains its precedence filters). Each result comes back on the context that
 * submitted the task, so the caller's bookkeeping stays on its own context. A task that cannot be
 * submitted (the pool closed by {@link #close()}) fails its future rather than throwing, so a
 * caller waiting on it is always answered.
 */
final class ParseWorker {
  /** The pool's name, which is also the prefix of its threads' names. */
  static final String POOL = "living-map-upstream";

  /**
   * Threads: the work is CPU-bound, so more threads than this would only compete with the event
   * loops; two let a large reply of one source not queue every other source behind it.
   */
  private static final int THREADS = 2;

  private final WorkerExecutor executor;
  private final BiConsumer<String, Thread> observer;

  /**
   * @param observer told each task's stage and the thread it runs on, before it runs (tests check
   *     that no stage runs on an event loop)
   */
  ParseWorker(Vertx vertx, BiConsumer<String, Thread> observer) {
    this.executor = vertx.createSharedWorkerExecutor(POOL, THREADS);
    this.observer = observer;
  }

  /** Runs {@code work} on the pool; its future completes on the caller's context. */
  <T> Future<T> run(String stage, Callable<T> work) {
    try {
      return executor.executeBlocking(
          () -> {
            observer.accept(stage, Thread.currentThread());
            return work.call();
          },
          false);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * As {@link #run} for work that itself answers with a future (a completed one: the work must not
   * start I/O, which belongs on the caller's context).
   */
  <T> Future<T> compose(String stage, Callable<Future<T>> work) {
    return run(stage, work).compose(f -> f);
  }

  /** Releases the pool; tasks submitted afterwards fail. */
  Future<Void> close() {
    return executor.close();
  }
}
