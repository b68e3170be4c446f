package org.daarion.livingmap.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Owns the Prometheus registry behind {@code /metrics} and names every metric of the service (all
 * prefixed {@code living_map_}; the Grafana dashboard in {@code deploy/grafana/living-map.json}
 * uses these names). Components get this object from the composition root and call the typed
 * helpers below; all methods are thread-safe and cheap (a counter increment is a few nanoseconds),
 * so they may be called on event loops and hot paths.
 *
 * <p>Prometheus names (Micrometer adds {@code _total} to counters and {@code _seconds} to timers):
 *
 * <ul>
 *   <li>{@code living_map_http_server_requests_seconds{method,route,status}} histogram
 *   <li>{@code living_map_auth_failures_total{reason}}, {@code
 *       living_map_rate_limited_total{kind}}, {@code living_map_bad_requests_total{kind}} (crafted
 *       or malformed requests refused)
 *   <li>{@code living_map_ws_connections} gauge, {@code living_map_ws_connects_total}, {@code
 *       living_map_ws_messages_sent_total}, {@code living_map_ws_messages_compressed_total}, {@code
 *       living_map_ws_resyncs_total}, {@code living_map_ws_drops_total{reason}}, {@code
 *       living_map_ws_refused_total{reason}}
 *   <li>{@code living_map_ingest_events_total{source}}, {@code
 *       living_map_ingest_rejected_total{reason}}, {@code living_map_ingest_lag_seconds} histogram,
 *       {@code living_map_state_queue_depth}, {@code living_map_state_entities}, {@code
 *       living_map_state_seq}
 *   <li>{@code living_map_history_batch_size} summary, {@code living_map_history_write_seconds}
 *       histogram, {@code living_map_history_queue_depth}, {@code
 *       living_map_history_write_failures_total}, {@code living_map_history_events_written_total},
 *       {@code living_map_history_writer_busy_seconds_total} (time spent writing and acknowledging)
 *   <li>{@code living_map_source_up{source}} (1 up, 0 down), {@code
 *       living_map_source_poll_seconds{source,outcome}} histogram, {@code
 *       living_map_source_staleness_seconds{source}}
 *   <li>{@code living_map_alerts_firing} gauge, {@code living_map_alert_evaluation_seconds_total}
 *       (time the state owner spent evaluating rules on events)
 *   <li>JVM and process: {@code jvm_memory_*}, {@code jvm_gc_*}, {@code jvm_threads_*}, {@code
 *       jvm_classes_*}, {@code process_cpu_usage}, {@code system_cpu_usage}, {@code
 *       process_uptime_seconds}, {@code process_files_open_files}, {@code process_files_max_files}
 * </ul>
 */
public final class Metrics implements AutoCloseable {
  public static final String HTTP_REQUESTS = "living_map_http_server_requests";
  public static final String AUTH_FAILURES = "living_map_auth_failures";
  public static final String RATE_LIMITED = "living_map_rate_limited";
  public static final String BAD_REQUESTS = "living_map_bad_requests";
  public static final String WS_CONNECTIONS = "living_map_ws_connections";
  public static final String WS_CONNECTS = "living_map_ws_connects";
  public static final String WS_MESSAGES_SENT = "living_map_ws_messages_sent";
  public static final String WS_MESSAGES_COMPRESSED = "living_map_ws_messages_compressed";
  public static final String WS_RESYNCS = "living_map_ws_resyncs";
  public static final String WS_DROPS = "living_map_ws_drops";
  public static final String WS_REFUSED = "living_map_ws_refused";
  public static final String INGEST_EVENTS = "living_map_ingest_events";
  public static final String INGEST_REJECTED = "living_map_ingest_rejected";
  public static final String INGEST_LAG = "living_map_ingest_lag";
  public static final String STATE_QUEUE_DEPTH = "living_map_state_queue_depth";
  public static final String STATE_ENTITIES = "living_map_state_entities";
  public static final String STATE_SEQ = "living_map_state_seq";
  public static final String HISTORY_BATCH_SIZE = "living_map_history_batch_size";
  public static final String HISTORY_WRITE = "living_map_history_write";
  public static final String HISTORY_QUEUE_DEPTH = "living_map_history_queue_depth";
  public static final String HISTORY_WRITE_FAILURES = "living_map_history_write_failures";
  public static final String HISTORY_EVENTS_WRITTEN = "living_map_history_events_written";
  public static final String SOURCE_UP = "living_map_source_up";
  public static final String SOURCE_POLL = "living_map_source_poll";
  public static final String SOURCE_STALENESS = "living_map_source_staleness_seconds";
  public static final String ALERTS_FIRING = "living_map_alerts_firing";
  public static final String ALERT_EVALUATION = "living_map_alert_evaluation_seconds";
  public static final String HISTORY_WRITER_BUSY = "living_map_history_writer_busy_seconds";

  private static final Duration[] LATENCY_SLOS = {
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final Counter wsConnects;
  private final Counter wsMessagesSent;
  private final Counter wsMessagesCompressed;
  private final Counter wsResyncs;
  private final Counter historyFailures;
  private final Counter historyWritten;
  private final DistributionSummary historyBatch;
  private final Timer historyWrite;
  private final Timer ingestLag;

  /**
   * What function counters read: Micrometer holds a function counter's object only weakly, so a
   * supplier nobody else holds would be collected and the counter read NaN from then on.
   */
  private final List<Supplier<Number>> counterSources = new CopyOnWriteArrayList<>();

  public Metrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags(Tags.empty());
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    wsConnects =
        Counter.builder(WS_CONNECTS)
            .description("WebSocket connections accepted")
            .register(registry);
    wsMessagesSent =
        Counter.builder(WS_MESSAGES_SENT)
            .description("Frames written to WebSocket clients")
            .register(registry);
    wsMessagesCompressed =
        Counter.builder(WS_MESSAGES_COMPRESSED)
            .description(
                "Messages compressed for permessage-deflate clients: each event once per event"
                    + " loop, not once per client")
            .register(registry);
    wsResyncs =
        Counter.builder(WS_RESYNCS)
            .description("Slow WebSocket clients resynchronised with a fresh snapshot")
            .register(registry);
    historyFailures =
        Counter.builder(HISTORY_WRITE_FAILURES)
            .description("History batches that failed to be written")
            .register(registry);
    historyWritten =
        Counter.builder(HISTORY_EVENTS_WRITTEN)
            .description("Events written to the history table")
            .register(registry);
    historyBatch =
        DistributionSummary.builder(HISTORY_BATCH_SIZE)
            .description("Events per history write")
            .serviceLevelObjectives(1, 10, 50, 100, 250, 500, 1000, 5000)
            .register(registry);
    historyWrite = timer(HISTORY_WRITE, "Time to write one history batch", Tags.empty());
    ingestLag =
        timer(
            INGEST_LAG, "From event timestamp to its application to the live state", Tags.empty());
  }

  private Timer timer(String name, String description, Tags tags) {
    return Timer.builder(name)
        .description(description)
        .tags(tags)
        .serviceLevelObjectives(LATENCY_SLOS)
        .register(registry);
  }

  /** The registry, for components that want their own meters (prefix names with living_map_). */
  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  // ---- HTTP (called by MetricsHandler) ----

  /** One answered HTTP request; {@code route} must be a route template, never a raw path. */
  public void httpRequest(String method, String route, int status, long nanos) {
    Timer.builder(HTTP_REQUESTS)
        .description("HTTP requests by route template and status")
        .tags("method", method, "route", route, "status", Integer.toString(status))
        .serviceLevelObjectives(LATENCY_SLOS)
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  /**
   * A refused authentication or authorisation; reason {@code unauthorized} or {@code forbidden}.
   */
  public void authFailure(String reason) {
    registry.counter(AUTH_FAILURES, "reason", reason).increment();
  }

  /**
   * A request or connect refused by a rate limit; kind {@code http}, {@code ws_connect}, {@code
   * ws_frame}.
   */
  public void rateLimited(String kind) {
    registry.counter(RATE_LIMITED, "kind", kind).increment();
  }

  /**
   * A request refused as crafted or malformed, by kind ({@code malformed_path}, {@code
   * malformed_query}, {@code invalid_http}, {@code not_found}, ...); the log shows at most one line
   * per kind per interval, this counts them all.
   */
  public void badRequest(String kind) {
    registry.counter(BAD_REQUESTS, "kind", kind).increment();
  }

  // ---- WebSocket stream ----

  /** Registers the gauge of open WebSocket connections. */
  public void wsConnections(Supplier<Number> open) {
    gauge(WS_CONNECTIONS, "Open WebSocket connections", open);
  }

  public void wsConnected() {
    wsConnects.increment();
  }

  public void wsMessagesSent(long frames) {
    wsMessagesSent.increment(frames);
  }

  public void wsMessagesCompressed(long messages) {
    wsMessagesCompressed.increment(messages);
  }

  public void wsResync() {
    wsResyncs.increment();
  }

  /** A socket closed by us; reason from a fixed set (slow, expired, rate_limited, error, …). */
  public void wsDrop(String reason) {
    registry.counter(WS_DROPS, "reason", reason).increment();
  }

  /**
   * An upgrade refused; reason from a fixed set (unauthorized, rate_limited, too_many_connections).
   */
  public void wsRefused(String reason) {
    registry.counter(WS_REFUSED, "reason", reason).increment();
  }

  // ---- ingest and live state ----

  /** Events accepted from a source ({@code nats}, {@code jetstream}, {@code bus}, {@code poll}). */
  public void ingested(String source, long events) {
    registry.counter(INGEST_EVENTS, "source", source).increment(events);
  }

  /** A rejected event; reason from a fixed set (too_large, not_json, not_object, bad_field, …). */
  public void ingestRejected(String reason) {
    registry.counter(INGEST_REJECTED, "reason", reason).increment();
  }

  /** Delay between an event's own timestamp and its application to the state. */
  public void ingestLag(Duration lag) {
    if (!lag.isNegative()) {
      ingestLag.record(lag);
    }
  }

  public void stateQueueDepth(Supplier<Number> depth) {
    gauge(STATE_QUEUE_DEPTH, "Events waiting for the state owner", depth);
  }

  public void stateEntities(Supplier<Number> entities) {
    gauge(STATE_ENTITIES, "Entities in the live state", entities);
  }

  public void stateSeq(Supplier<Number> seq) {
    gauge(STATE_SEQ, "Sequence number of the last applied event", seq);
  }

  // ---- history ----

  /** One history batch written: its size and how long it took. */
  public void historyBatch(int events, Duration took) {
    historyBatch.record(events);
    historyWrite.record(took);
    historyWritten.increment(events);
  }

  public void historyFailure() {
    historyFailures.increment();
  }

  public void historyQueueDepth(Supplier<Number> depth) {
    gauge(HISTORY_QUEUE_DEPTH, "Events waiting to be written to history", depth);
  }

  // ---- upstream sources ----

  /** Registers {@code living_map_source_up{source}} (1 up, 0 down) from a supplier. */
  public void sourceUp(String source, Supplier<Boolean> up) {
    Gauge.builder(SOURCE_UP, () -> Boolean.TRUE.equals(up.get()) ? 1 : 0)
        .description("Whether the upstream source answered its last poll")
        .tag("source", source)
        .strongReference(true)
        .register(registry);
  }

  /** Registers how long ago {@code source} last answered, in seconds. */
  public void sourceStaleness(String source, Supplier<Number> seconds) {
    Gauge.builder(SOURCE_STALENESS, seconds)
        .description("Seconds since the source last answered")
        .tag("source", source)
        .strongReference(true)
        .register(registry);
  }

  /** One poll of an upstream source; outcome {@code ok}, {@code error} or {@code timeout}. */
  public void sourcePoll(String source, String outcome, Duration took) {
    Timer.builder(SOURCE_POLL)
        .description("Upstream poll latency")
        .tags("source", source, "outcome", outcome)
        .serviceLevelObjectives(LATENCY_SLOS)
        .register(registry)
        .record(took);
  }

  public void alertsFiring(Supplier<Number> firing) {
    gauge(ALERTS_FIRING, "Alerts currently firing", firing);
  }

  /** Time spent evaluating alert rules on events, read from {@code nanos} at each scrape. */
  public void alertEvaluation(Supplier<Number> nanos) {
    secondsCounter(
        ALERT_EVALUATION, "Seconds the state owner spent evaluating alert rules on events", nanos);
  }

  /**
   * Time the history writer spent writing and acknowledging batches, read from {@code nanos} at
   * each scrape: its rate is the writer's utilisation (near 1: history is the bottleneck).
   */
  public void historyWriterBusy(Supplier<Number> nanos) {
    secondsCounter(
        HISTORY_WRITER_BUSY,
        "Seconds the history writer spent writing and acknowledging batches",
        nanos);
  }

  /** A counter of seconds read from a nanosecond total at each scrape. */
  private void secondsCounter(String name, String description, Supplier<Number> nanos) {
    counterSources.add(nanos);
    FunctionCounter.builder(name, nanos, n -> n.get().doubleValue() / TimeUnit.SECONDS.toNanos(1))
        .description(description)
        .register(registry);
  }

  /**
   * Registers any gauge from a supplier (held strongly, so a lambda is fine). The name should start
   * with {@code living_map_}; {@code tags} are key, value pairs.
   */
  public void gauge(String name, String description, Supplier<Number> value, String... tags) {
    Gauge.builder(name, value)
        .description(description)
        .tags(tags)
        .strongReference(true)
        .register(registry);
  }

  /** Shorthand: {@code metrics.gauge("living_map_history_queue_depth", supplier)}. */
  public void gauge(String name, Supplier<Number> value) {
    gauge(name, name, value);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
