package org.daarion.livingmap.source.upstream;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.UpstreamSource;
import org.daarion.livingmap.event.PollIntake;
import org.daarion.livingmap.event.UpstreamPoll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the six upstream sources (DESIGN: "upstream polls reconcile"): all in parallel at {@link
 * #start()} and every poll interval after, each with its own {@link SourcePolicy} (timeout, retries
 * with jittered backoff, circuit breaker) and its own HTTP connection pool, so a slow or dead
 * source never delays another.
 *
 * <p><b>Delivery.</b> Each successful poll goes through the {@link PollIntake} given at
 * construction (the state owner), once, on the poller's context (an event loop); the intake never
 * blocks, and a poll it refuses (its queue full) is logged and dropped: the next one carries the
 * same picture. A failed poll sends nothing: the state keeps the source's last good data, and the
 * source is shown stale in {@link #sourcesJson()}. A poll that parsed only part of a source (one of
 * city-service's three lists failed, say) is sent with only the lists that answered marked
 * complete, so a partial answer never removes anything. Fields that two sources both set for one
 * entity are taken from the source that owns them ({@code Precedence}), so two disagreeing sources
 * do not flip an entity on every poll.
 *
 * <p><b>Ordering.</b> Polls of one source never overlap: a tick that finds the previous poll still
 * running skips that source. Polls of different sources are independent and may reach the intake in
 * any order.
 *
 * <p><b>Threads.</b> All mutable state lives on one Vert.x context, taken when the poller is built;
 * every public method may be called from any thread. {@link #sourcesJson()} and {@link #statuses()}
 * read a volatile, prebuilt value and never wait. The CPU-heavy handling of replies (decoding,
 * checks, item parsing, the precedence filter) runs on a {@link ParseWorker}, never on that
 * context's event loop; the circuit breakers, statuses and delivery stay on the context.
 */
public final class UpstreamPoller {
  private static final Logger log = LoggerFactory.getLogger(UpstreamPoller.class);

  /** How long an entity's upstream detail is served from cache. */
  public static final Duration DEFAULT_DETAIL_TTL = Duration.ofSeconds(10);

  /** Connections per source; dao-service detail requests use up to 4 at once. */
  private static final int POOL_SIZE = 8;

  private static final Duration STOP_GRACE = Duration.ofSeconds(2);

  private final Vertx vertx;
  private final Context context;
  private final Duration interval;
  private final PollIntake intake;
  private final Clock clock;
  private final Map<UpstreamSource, Source> sources = new EnumMap<>(UpstreamSource.class);
  private final Precedence precedence = new Precedence();
  private final ParseWorker worker;

  /**
   * The last precedence filter handed to the worker: each waits for the one before, because they
   * share {@link #precedence}'s claims and must see the polls in the order they finished. Context
   * only.
   */
  private Future<?> filtering = Future.succeededFuture();

  private final DetailFetcher details;
  private final List<String> serviceNames;
  private volatile JsonObject sourcesJson = new JsonObject();
  private volatile Map<UpstreamSource, SourceStatus> statuses = Map.of();
  private final List<Long> timerIds = new ArrayList<>();
  private boolean started;
  private boolean stopped;

  /** One source's adapter, breaker and status; touched on the context only. */
  private static final class Source {
    final UpstreamSource id;
    final WebClient client;
    final UpstreamHttp http;
    final Adapter adapter;
    final CircuitBreaker breaker;
    Future<Void> inFlight;
    SourceStatus status;

    Source(
        UpstreamSource id, WebClient client, UpstreamHttp http, Adapter adapter, CircuitBreaker b) {
      this.id = id;
      this.client = client;
      this.http = http;
      this.adapter = adapter;
      this.breaker = b;
      this.status = SourceStatus.pending(id.serviceName(), http.baseUrl());
    }
  }

  private UpstreamPoller(Builder b) {
    this.vertx = b.vertx;
    this.context = vertx.getOrCreateContext();
    this.interval = b.interval;
    this.intake = b.intake;
    this.clock = b.clock;
    this.worker = new ParseWorker(vertx, b.workObserver);
    List<String> names = new ArrayList<>();
    for (UpstreamSource s : UpstreamSource.values()) {
      URI url = b.urls.get(s);
      if (url == null) {
        continue;
      }
      SourcePolicy policy = b.policies.getOrDefault(s, b.defaultPolicy);
      WebClient client =
          WebClient.create(
              vertx,
              new WebClientOptions().setUserAgent("living-map").setKeepAlive(true),
              new PoolOptions().setHttp1MaxSize(POOL_SIZE));
      UpstreamHttp http =
          new UpstreamHttp(vertx, client, s, url, b.token, policy, worker, b.maxReplyBytes);
      sources.put(s, new Source(s, client, http, adapterFor(s, http), breaker(s, policy)));
      names.add(s.serviceName());
    }
    this.serviceNames = List.copyOf(names);
    this.details =
        new DetailFetcher(
            new DetailFetcher.Sources() {
              @Override
              public UpstreamHttp http(UpstreamSource source) {
                Source s = sources.get(source);
                return s == null ? null : s.http;
              }

              @Override
              public boolean circuitOpen(UpstreamSource source) {
                Source s = sources.get(source);
                return s != null && s.breaker.getState() == CircuitBreaker.State.OPEN;
              }
            },
            b.detailTtl,
            clock);
    publish();
  }

  /**
   * The bound on one upstream reply: 64 MiB, about six times the largest reply at 100x DAARION
   * ({@code /agents}, 11 MB), and a fixed fraction of the heap the operations guide recommends.
   */
  public static final int DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

  /** Starts building a poller. */
  public static Builder builder(Vertx vertx) {
    return new Builder(vertx);
  }

  /**
   * A poller from the configuration: token, poll interval and each source's policy ({@code
   * upstreamTimeout} and {@code LIVING_MAP_UPSTREAM_POLICY}). {@code urls} are the base URLs to
   * poll (the configured ones, or the built-in simulator's for sources left unset); a source
   * missing from it is not polled.
   */
  public static UpstreamPoller fromConfig(
      Vertx vertx, Config config, Map<UpstreamSource, URI> urls, PollIntake intake) {
    Builder b =
        builder(vertx)
            .urls(urls)
            .token(config.upstreamToken)
            .interval(config.pollInterval)
            .defaultPolicy(SourcePolicy.defaults(config.upstreamTimeout))
            .maxReplyBytes(config.upstreamMaxReplyBytes)
            .intake(intake);
    for (UpstreamSource s : UpstreamSource.values()) {
      b.policy(s, SourcePolicy.of(config, s));
    }
    return b.build();
  }

  /**
   * Polls every source now, then each every interval, the sources spread evenly over it. Spread,
   * because at 100x DAARION a poll of all six at once had 62,000 entity patches and their trees in
   * flight together, and the collector promoted them to the old generation faster than it could
   * clean it: a full collection every poll (heap histograms and GC logs, 2026-12-06). Idempotent.
   */
  public void start() {
    onContext(
        () -> {
          if (started || stopped) {
            return Future.succeededFuture();
          }
          started = true;
          pollAll();
          long every = interval.toMillis();
          int i = 0;
          for (Source s : sources.values()) {
            // The first spread poll comes early rather than late: a gap longer than the interval
            // would age the source's data past what the health checks expect.
            long offset = every * i++ / sources.size();
            timerIds.add(vertx.setPeriodic(offset == 0 ? every : offset, every, t -> poll(s)));
          }
          return Future.succeededFuture();
        });
  }

  /**
   * Stops polling and closes the HTTP clients; requests in flight fail and send nothing. Completes
   * when done.
   */
  public Future<Void> stop() {
    return onContext(
        () -> {
          stopped = true;
          timerIds.forEach(vertx::cancelTimer);
          timerIds.clear();
          List<Future<Void>> running = new ArrayList<>();
          for (Source s : sources.values()) {
            s.client.close();
            if (s.inFlight != null) {
              running.add(s.inFlight);
            }
          }
          // The worker pool is released once the polls in flight are done with it, so none of
          // them is left waiting on a task the closed pool dropped; but stopping never waits
          // longer than STOP_GRACE for them (one whose connection the close left unanswered kept
          // a test's shutdown waiting for ever).
          Promise<Void> settled = Promise.promise();
          long grace = vertx.setTimer(STOP_GRACE.toMillis(), id -> settled.tryComplete());
          Future.join(running).onComplete(ar -> settled.tryComplete());
          return settled
              .future()
              .transform(
                  ar -> {
                    vertx.cancelTimer(grace);
                    return worker.close();
                  })
              .transform(ar -> Future.succeededFuture());
        });
  }

  /**
   * Polls every source now (a source already being polled is not asked twice: its running poll is
   * awaited). Completes, never fails, when every source has answered or failed.
   */
  public Future<Void> pollNow() {
    return onContext(this::pollAll);
  }

  /**
   * Per source (keyed by service name, in a fixed order) its {@link SourceStatus} as JSON, for
   * {@code GET /living-map/sources} and {@code meta.sources}. Built when a poll finishes, so it
   * stays equal between polls (the snapshot cache relies on that) and {@code data_age_seconds} is
   * as of that moment; {@link #sourcesJsonNow()} computes ages now. A fresh copy per call.
   */
  public JsonObject sourcesJson() {
    return sourcesJson.copy();
  }

  /**
   * The sources JSON itself, replaced (never changed) on each publish: callers must not change it.
   */
  JsonObject sourcesShared() {
    return sourcesJson;
  }

  /** As {@link #sourcesJson()} with {@code data_age_seconds} computed at this instant. */
  public JsonObject sourcesJsonNow() {
    Instant now = clock.instant();
    JsonObject out = new JsonObject();
    statuses.forEach((s, st) -> out.put(s.serviceName(), st.toJson(now)));
    return out;
  }

  /** The contract's {@code meta.source_services}: the service names polled, in a fixed order. */
  public List<String> sourceServices() {
    return serviceNames;
  }

  /** The current status of every polled source. */
  public Map<UpstreamSource, SourceStatus> statuses() {
    return statuses;
  }

  /** Whether any polled source is not ok or degraded (for health checks). */
  public boolean anyStale() {
    return statuses.values().stream().anyMatch(SourceStatus::stale);
  }

  /**
   * The owning service's own data about an entity, for the entity detail route: fetched where the
   * service has a detail endpoint, cached {@link #DEFAULT_DETAIL_TTL}. Never fails: on error it
   * holds {@code error} and {@code stale: true} (with the last cached {@code data} if any); for a
   * type without an endpoint, {@code available: false}.
   */
  public Future<JsonObject> upstreamDetail(
      String type, String id, JsonObject data, JsonObject extra) {
    return onContext(() -> details.get(type, id, data, extra))
        .recover(
            err ->
                Future.succeededFuture(
                    new JsonObject()
                        .put("error", String.valueOf(err.getMessage()))
                        .put("stale", true)));
  }

  private Future<Void> pollAll() {
    List<Future<Void>> all = new ArrayList<>(sources.size());
    for (Source s : sources.values()) {
      all.add(poll(s));
    }
    return Future.join(all).transform(ar -> Future.succeededFuture());
  }

  private Future<Void> poll(Source s) {
    if (s.inFlight != null) {
      return s.inFlight;
    }
    if (stopped) {
      return Future.succeededFuture();
    }
    if (!s.breaker.tryAcquirePermission()) {
      s.status = s.status.skipped(clock.instant());
      publish();
      return Future.succeededFuture();
    }
    long t0 = System.nanoTime();
    Promise<Void> done = Promise.promise();
    s.inFlight = done.future();
    Future<Fetched> fetch;
    try {
      fetch = s.adapter.fetch();
    } catch (RuntimeException e) {
      fetch = Future.failedFuture(Adapter.asUpstream(e));
    }
    fetch.onComplete(
        ar -> {
          long nanos = System.nanoTime() - t0;
          long ms = TimeUnit.NANOSECONDS.toMillis(nanos);
          Instant at = clock.instant();
          String retried = s.http.takeRetriedError();
          // The precedence filter runs on the worker; the bookkeeping below waits for it, here.
          Future<UpstreamPoll> filtered =
              ar.succeeded() && !stopped ? filter(ar.result()) : Future.succeededFuture();
          filtered.onComplete(
              fr -> {
                try {
                  if (ar.succeeded() && !stopped) {
                    s.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                    if (fr.failed()) {
                      throw new IllegalStateException("precedence filter failed", fr.cause());
                    }
                    Fetched f = ar.result();
                    deliver(s, fr.result());
                    s.status = s.status.succeeded(f, at, ms, circuit(s), retried);
                  } else if (ar.failed()) {
                    UpstreamException err = Adapter.asUpstream(ar.cause());
                    s.breaker.onError(nanos, TimeUnit.NANOSECONDS, err);
                    boolean open = s.breaker.getState() == CircuitBreaker.State.OPEN;
                    s.status = s.status.failed(err.getMessage(), at, ms, open, circuit(s));
                    log.warn("{} poll failed: {}", s.id.serviceName(), err.getMessage());
                  } else {
                    s.breaker.releasePermission();
                  }
                } catch (RuntimeException e) {
                  log.error("{} poll bookkeeping failed", s.id.serviceName(), e);
                } finally {
                  // Cleared only now, after the poll went to the intake: the next poll of this
                  // source cannot reach the intake before this one.
                  s.inFlight = null;
                  publish();
                  done.complete();
                }
              });
        });
    return done.future();
  }

  /**
   * {@code f}'s poll without the fields higher sources own, computed on the worker after every
   * earlier filter finished. Context only; completes on the context.
   */
  private Future<UpstreamPoll> filter(Fetched f) {
    boolean partial = !f.problems().isEmpty();
    Future<UpstreamPoll> next =
        filtering.transform(
            ignored ->
                worker.run(
                    f.poll().source() + " precedence", () -> precedence.filter(f.poll(), partial)));
    filtering = next;
    return next;
  }

  private void deliver(Source s, UpstreamPoll poll) {
    try {
      intake
          .applyPoll(poll)
          .whenComplete(
              (ok, err) -> {
                if (err != null) {
                  log.warn("poll of {} not applied: {}", poll.source(), err.getMessage());
                }
              });
    } catch (RuntimeException e) {
      log.error("{} poll could not be applied", s.id.serviceName(), e);
    }
  }

  private static String circuit(Source s) {
    return s.breaker.getState().name().toLowerCase(Locale.ROOT);
  }

  private void publish() {
    Instant now = clock.instant();
    Map<UpstreamSource, SourceStatus> map = new LinkedHashMap<>();
    JsonObject json = new JsonObject();
    for (Source s : sources.values()) {
      map.put(s.id, s.status);
      json.put(s.id.serviceName(), s.status.toJson(now));
    }
    statuses = java.util.Collections.unmodifiableMap(map);
    sourcesJson = json;
  }

  private <T> Future<T> onContext(Supplier<Future<T>> work) {
    if (Vertx.currentContext() == context) {
      try {
        return work.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    Promise<T> p = Promise.promise();
    context.runOnContext(
        v -> {
          try {
            work.get().onComplete(p);
          } catch (RuntimeException e) {
            p.fail(e);
          }
        });
    return p.future();
  }

  private static Adapter adapterFor(UpstreamSource s, UpstreamHttp http) {
    return switch (s) {
      case CITY -> new CityAdapter(http);
      case SPACE -> new SpaceAdapter(http);
      case AGENTS -> new AgentsAdapter(http);
      case MICRODAO -> new MicrodaoAdapter(http);
      case DAO -> new DaoAdapter(http);
      case USAGE -> new UsageAdapter(http);
    };
  }

  private static CircuitBreaker breaker(UpstreamSource s, SourcePolicy p) {
    return CircuitBreaker.of(
        s.serviceName(),
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(p.breakerWindow())
            .minimumNumberOfCalls(p.breakerMinCalls())
            .failureRateThreshold(p.breakerFailureRate())
            .waitDurationInOpenState(p.breakerOpenFor())
            .permittedNumberOfCallsInHalfOpenState(1)
            .ignoreException(
                e ->
                    e instanceof UpstreamException u
                        && u.kind() == UpstreamException.Kind.UNAUTHORIZED)
            .writableStackTraceEnabled(false)
            .build());
  }

  /** Settings of a poller; {@link #intake} and at least one URL are required. */
  public static final class Builder {
    private final Vertx vertx;
    private final Map<UpstreamSource, URI> urls = new EnumMap<>(UpstreamSource.class);
    private final Map<UpstreamSource, SourcePolicy> policies = new EnumMap<>(UpstreamSource.class);
    private Optional<String> token = Optional.empty();
    private Duration interval = Duration.ofSeconds(30);
    private SourcePolicy defaultPolicy = SourcePolicy.defaults(Duration.ofSeconds(5));
    private PollIntake intake;
    private Duration detailTtl = DEFAULT_DETAIL_TTL;
    private Clock clock = Clock.systemUTC();
    private int maxReplyBytes = DEFAULT_MAX_REPLY_BYTES;
    private BiConsumer<String, Thread> workObserver = (stage, thread) -> {};

    private Builder(Vertx vertx) {
      this.vertx = Objects.requireNonNull(vertx);
    }

    public Builder urls(Map<UpstreamSource, URI> u) {
      urls.putAll(u);
      return this;
    }

    public Builder url(UpstreamSource s, URI u) {
      urls.put(s, u);
      return this;
    }

    public Builder token(Optional<String> t) {
      token = t == null ? Optional.empty() : t;
      return this;
    }

    public Builder interval(Duration d) {
      interval = d;
      return this;
    }

    public Builder defaultPolicy(SourcePolicy p) {
      defaultPolicy = p;
      return this;
    }

    public Builder policy(UpstreamSource s, SourcePolicy p) {
      policies.put(s, p);
      return this;
    }

    public Builder intake(PollIntake i) {
      intake = i;
      return this;
    }

    public Builder detailTtl(Duration d) {
      detailTtl = d;
      return this;
    }

    /** Larger upstream replies are refused as bad payloads ({@link ReplyBody}). */
    public Builder maxReplyBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxReplyBytes must be positive");
      }
      maxReplyBytes = bytes;
      return this;
    }

    public Builder clock(Clock c) {
      clock = c;
      return this;
    }

    /**
     * Told, on the worker, each stage of reply handling sent to the worker and the thread it runs
     * on (tests check that none runs on an event loop).
     */
    Builder workObserver(BiConsumer<String, Thread> o) {
      workObserver = Objects.requireNonNull(o);
      return this;
    }

    public UpstreamPoller build() {
      Objects.requireNonNull(intake, "intake");
      if (interval == null || interval.isZero() || interval.isNegative()) {
        throw new IllegalArgumentException("poll interval must be positive");
      }
      return new UpstreamPoller(this);
    }
  }
}
