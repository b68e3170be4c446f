package org.daarion.livingmap.config;

import java.util.List;

/**
 * Every setting Living Map reads, with its default and the reason for it. The README's
 * configuration table is printed from this list by {@code living-map --help}.
 */
public final class Settings {
  private Settings() {}

  public static final Setting PORT =
      new Setting("PORT", "--port", "7017", "HTTP and WebSocket port (the original's).");
  public static final Setting HOST =
      new Setting("LIVING_MAP_HOST", "--host", "0.0.0.0", "Address to listen on.");
  public static final Setting DATABASE_URL =
      new Setting(
          "DATABASE_URL",
          "--database-url",
          null,
          "PostgreSQL URL, libpq (postgresql://user:pass@host:port/db) or jdbc: form. Unset: embedded PostgreSQL under the data directory.");
  public static final Setting NATS_URL =
      new Setting(
          "NATS_URL",
          "--nats-url",
          null,
          "NATS server URL(s), comma-separated. Unset: in-process bus.");
  public static final Setting NATS_MODE =
      new Setting(
          "LIVING_MAP_NATS_MODE",
          "--nats-mode",
          "core",
          "core (plain subscriptions, as the original) or jetstream (durable consumer, ack after commit).");
  public static final Setting NATS_SUBJECTS =
      new Setting(
          "LIVING_MAP_NATS_SUBJECTS",
          "--nats-subjects",
          "city.event.>,dao.event.>,microdao.event.>,node.metrics.>,agent.event.>,usage.llm,usage.llm.>,usage.agent,usage.agent.>,messaging.message.created",
          "Subjects to ingest, comma-separated (CONTRACT section 5).");
  public static final Setting NATS_STREAM =
      new Setting(
          "LIVING_MAP_NATS_STREAM",
          "--nats-stream",
          "LIVING_MAP",
          "JetStream stream that covers the subjects.");
  public static final Setting NATS_CREATE_STREAM =
      new Setting(
          "LIVING_MAP_NATS_CREATE_STREAM",
          "--nats-create-stream",
          "true",
          "Create the JetStream stream when it is absent.");
  public static final Setting NATS_DURABLE =
      new Setting(
          "LIVING_MAP_NATS_DURABLE",
          "--nats-durable",
          "living-map",
          "JetStream durable consumer name.");
  public static final Setting REPLICA_ID =
      new Setting(
          "LIVING_MAP_REPLICA_ID",
          "--replica-id",
          null,
          "Cluster mode: this replica's name, unique among the replicas (e.g. the pod name). Set: several replicas share one JetStream stream and one PostgreSQL; seq is the JetStream stream sequence, history is written once, shared jobs run on one replica. Needs LIVING_MAP_NATS_MODE=jetstream, NATS_URL and DATABASE_URL. Unset: a single instance.");
  public static final Setting DATA_DIR =
      new Setting(
          "LIVING_MAP_DATA_DIR",
          "--data-dir",
          "./data",
          "Where the embedded PostgreSQL keeps its files.");
  public static final Setting CITY_SERVICE_URL =
      new Setting(
          "CITY_SERVICE_URL",
          "--city-service-url",
          null,
          "city-service base URL. Unset: the built-in simulator.");
  public static final Setting SPACE_SERVICE_URL =
      new Setting(
          "SPACE_SERVICE_URL",
          "--space-service-url",
          null,
          "space-service base URL. Unset: the built-in simulator.");
  public static final Setting USAGE_ENGINE_URL =
      new Setting(
          "USAGE_ENGINE_URL",
          "--usage-engine-url",
          null,
          "usage-engine base URL. Unset: the built-in simulator.");
  public static final Setting AGENTS_SERVICE_URL =
      new Setting(
          "AGENTS_SERVICE_URL",
          "--agents-service-url",
          null,
          "agents-service base URL. Unset: the built-in simulator.");
  public static final Setting MICRODAO_SERVICE_URL =
      new Setting(
          "MICRODAO_SERVICE_URL",
          "--microdao-service-url",
          null,
          "microdao-service base URL. Unset: the built-in simulator.");
  public static final Setting DAO_SERVICE_URL =
      new Setting(
          "DAO_SERVICE_URL",
          "--dao-service-url",
          null,
          "dao-service base URL. Unset: the built-in simulator.");
  public static final Setting UPSTREAM_TOKEN =
      new Setting(
          "LIVING_MAP_UPSTREAM_TOKEN",
          "--upstream-token",
          null,
          "Service token sent as Authorization: Bearer to upstreams (microdao-service and dao-service require one).");
  public static final Setting POLL_INTERVAL =
      new Setting(
          "LIVING_MAP_POLL_INTERVAL",
          "--poll-interval",
          "30s",
          "How often each of the six upstream sources is polled (all at start, then spread evenly over the interval).");
  public static final Setting UPSTREAM_TIMEOUT =
      new Setting(
          "LIVING_MAP_UPSTREAM_TIMEOUT",
          "--upstream-timeout",
          "5s",
          "Timeout of one upstream request.");
  public static final Setting UPSTREAM_MAX_REPLY_BYTES =
      new Setting(
          "LIVING_MAP_UPSTREAM_MAX_REPLY_BYTES",
          "--upstream-max-reply-bytes",
          "67108864",
          "A larger reply from an upstream service is refused: that poll of the source fails as a"
              + " bad payload (not retried), the map keeps what the source gave before.");
  public static final Setting UPSTREAM_POLICY =
      new Setting(
          "LIVING_MAP_UPSTREAM_POLICY",
          "--upstream-policy",
          null,
          "Per-source resilience, comma-separated `[service.]key=value` (no service: every source), e.g. `attempts=2,dao-service.timeout=10s,usage-engine.breaker_open_for=2m`. Keys: timeout, attempts (tries per request), backoff, max_backoff, breaker_window, breaker_min_calls, breaker_failure_rate (percent), breaker_open_for. Unset keys keep the defaults: timeout from LIVING_MAP_UPSTREAM_TIMEOUT, 3 attempts from 250ms backoff up to 5s, circuit opens when 50% of the last 5 polls (at least 3) failed, for 60s.");
  public static final Setting SIMULATOR =
      new Setting(
          "LIVING_MAP_SIMULATOR",
          "--simulator",
          "auto",
          "auto (run the built-in simulator when no upstream URL and no NATS URL is set), on, or off.");
  public static final Setting SIM_PORT =
      new Setting(
          "LIVING_MAP_SIM_PORT",
          "--sim-port",
          "7018",
          "Port of the simulator's upstream HTTP endpoints (0: any free port).");
  public static final Setting SIM_SEED =
      new Setting(
          "LIVING_MAP_SIM_SEED", "--sim-seed", "42", "Random seed: same seed, same network.");
  public static final Setting SIM_RATE =
      new Setting("LIVING_MAP_SIM_RATE", "--sim-rate", "20", "Simulated events per second.");
  public static final Setting SIM_MICRODAOS =
      new Setting("LIVING_MAP_SIM_MICRODAOS", "--sim-microdaos", "12", "Simulated microDAOs.");
  public static final Setting SIM_DAOS =
      new Setting("LIVING_MAP_SIM_DAOS", "--sim-daos", "5", "Simulated DAO planets.");
  public static final Setting SIM_NODES =
      new Setting("LIVING_MAP_SIM_NODES", "--sim-nodes", "60", "Simulated nodes.");
  public static final Setting SIM_AGENTS =
      new Setting("LIVING_MAP_SIM_AGENTS", "--sim-agents", "200", "Simulated agents.");
  public static final Setting SIM_CHANNELS =
      new Setting(
          "LIVING_MAP_SIM_CHANNELS", "--sim-channels", "24", "Simulated messaging channels.");
  public static final Setting HISTORY_BATCH =
      new Setting(
          "LIVING_MAP_HISTORY_BATCH",
          "--history-batch",
          "1000",
          "Largest number of events written in one statement.");
  public static final Setting HISTORY_LINGER =
      new Setting(
          "LIVING_MAP_HISTORY_LINGER",
          "--history-linger",
          "50ms",
          "How long the history writer waits to fill a batch before writing a partial one.");
  public static final Setting HISTORY_QUEUE =
      new Setting(
          "LIVING_MAP_HISTORY_QUEUE",
          "--history-queue",
          "200000",
          "Events held in memory while the database is slow or away.");
  public static final Setting RETENTION =
      new Setting("LIVING_MAP_RETENTION", "--retention", "30d", "How long history is kept.");
  public static final Setting SNAPSHOT_INTERVAL =
      new Setting(
          "LIVING_MAP_SNAPSHOT_INTERVAL",
          "--snapshot-interval",
          "5m",
          "How often the full state is stored for time travel.");
  public static final Setting SNAPSHOT_PREPARE_INTERVAL =
      new Setting(
          "LIVING_MAP_SNAPSHOT_PREPARE_INTERVAL",
          "--snapshot-prepare-interval",
          "250ms",
          "While the state changes, the served snapshot (identity and gzip bytes, every variant) is"
              + " prepared again at most this often; versions in between are coalesced (clients"
              + " continue from the snapshot's seq with the stream). 0 prepares every version on"
              + " demand.");
  public static final Setting SNAPSHOT_EVENTS =
      new Setting(
          "LIVING_MAP_SNAPSHOT_EVENTS",
          "--snapshot-events",
          "100000",
          "A snapshot is also stored once this many events were applied since the last one, so that"
              + " time travel and /diff replay at most about this many events at any rate; 0: by"
              + " interval only.");
  public static final Setting SNAPSHOTS_KEPT =
      new Setting(
          "LIVING_MAP_SNAPSHOTS_KEPT",
          "--snapshots-kept",
          "100",
          "Stored snapshots kept by retention.");
  public static final Setting MAX_EVENT_BYTES =
      new Setting(
          "LIVING_MAP_MAX_EVENT_BYTES",
          "--max-event-bytes",
          "1048576",
          "Larger event payloads are rejected (kept, not applied).");
  // --- memory budget in bytes (issue 13 part 2); docs/OPERATIONS.md "Memory" relates them to -Xmx
  public static final Setting STATE_QUEUE_BYTES =
      new Setting(
          "LIVING_MAP_STATE_QUEUE_BYTES",
          "--state-queue-bytes",
          "16777216",
          "Bytes of events waiting for the state owner (an event weighs about 3x its payload, parsed). Full: the source waits (JetStream stops pulling; NATS core's intake queue fills, then rejects).");
  public static final Setting HISTORY_QUEUE_BYTES =
      new Setting(
          "LIVING_MAP_HISTORY_QUEUE_BYTES",
          "--history-queue-bytes",
          "33554432",
          "Bytes of events waiting for PostgreSQL, the batch being written included. Full: the state owner waits (back-pressure to the sources).");
  public static final Setting WS_QUEUE_BYTES =
      new Setting(
          "LIVING_MAP_WS_QUEUE_BYTES",
          "--ws-queue-bytes",
          "16777216",
          "Bytes of frames queued for one WebSocket client (frames are shared between clients, mostly the resume ring's). Past it the client is resynchronised with a fresh snapshot. The default lets a client fall behind as far as the resume ring reaches: one upstream poll at 100x DAARION brings 5,000-6,000 events at once.");
  public static final Setting STREAM_RING_BYTES =
      new Setting(
          "LIVING_MAP_STREAM_RING_BYTES",
          "--stream-ring-bytes",
          "16777216",
          "Bytes of recent event frames kept for stream resumes (at most 50,000 frames); older resumes are served from history.");
  public static final Setting HISTORY_MEMORY_BYTES =
      new Setting(
          "LIVING_MAP_HISTORY_MEMORY_BYTES",
          "--history-memory-bytes",
          "16777216",
          "Bytes of the newest stored history rows kept in memory (at most 50,000 rows) to answer recent /history pages without PostgreSQL; 0 turns it off. Not used in cluster mode.");
  public static final Setting NATS_BUFFER_BYTES =
      new Setting(
          "LIVING_MAP_NATS_BUFFER_BYTES",
          "--nats-buffer-bytes",
          "16777216",
          "Bytes of NATS messages held before they are parsed: one JetStream pull at most; in core mode the intake queue, past which an event is rejected with the reason (stored in living_map_rejected_events), and the client's own buffer.");
  public static final Setting RESPONSE_BYTES =
      new Setting(
          "LIVING_MAP_RESPONSE_BYTES",
          "--response-bytes",
          "1048576",
          "Bytes of rows one /history or /rejected answer carries at most; a longer answer stops there with a next cursor to continue.");
  public static final Setting WS_PING_INTERVAL =
      new Setting(
          "LIVING_MAP_WS_PING_INTERVAL",
          "--ws-ping-interval",
          "30s",
          "Keep-alive ping to WebSocket clients.");
  public static final Setting WS_COMPRESSION =
      new Setting(
          "LIVING_MAP_WS_COMPRESSION",
          "--ws-compression",
          "false",
          "Offer permessage-deflate on the stream. Each message is compressed on its own, the"
              + " same bytes for every socket: the snapshot once per prepared version, a live event"
              + " once per event loop.");
  public static final Setting WS_QUEUE =
      new Setting(
          "LIVING_MAP_WS_QUEUE",
          "--ws-queue",
          "50000",
          "Frames queued for one WebSocket client before it counts as too slow and is resynchronised (the resume ring's frame count).");
  public static final Setting WS_MAX_CONNECTIONS =
      new Setting(
          "LIVING_MAP_WS_MAX_CONNECTIONS",
          "--ws-max-connections",
          "10000",
          "WebSocket connections accepted in total.");
  public static final Setting ALERT_RULES =
      new Setting(
          "LIVING_MAP_ALERT_RULES",
          "--alert-rules",
          null,
          "Alert rules file (YAML or JSON). Unset: the built-in rules (alert-rules.yaml).");
  public static final Setting ALERT_WEBHOOKS =
      new Setting(
          "LIVING_MAP_ALERT_WEBHOOKS",
          "--alert-webhooks",
          null,
          "URLs that get a JSON POST for every alert firing and resolving, comma-separated.");
  public static final Setting ALERTMANAGER_URL =
      new Setting(
          "LIVING_MAP_ALERTMANAGER_URL",
          "--alertmanager-url",
          null,
          "Prometheus Alertmanager base URL; alerts are pushed to its /api/v2/alerts.");
  public static final Setting ALERT_NATS_SUBJECT =
      new Setting(
          "LIVING_MAP_ALERT_NATS_SUBJECT",
          "--alert-nats-subject",
          null,
          "NATS subject alert notifications are also published to. Unset: none.");
  // --- security, limits and observability (issue 7; docs/OPERATIONS.md) ---
  public static final Setting AUTH =
      new Setting(
          "LIVING_MAP_AUTH",
          "--auth",
          "off",
          "off (every route open, as the original; a warning is logged), jwt, apikey, or jwt,apikey.");
  public static final Setting JWT_SECRET =
      new Setting(
          "LIVING_MAP_JWT_SECRET",
          "--jwt-secret",
          null,
          "HS256 secret shared with DAARION's auth-service (at least 32 bytes recommended).");
  public static final Setting JWKS_URL =
      new Setting(
          "LIVING_MAP_JWKS_URL",
          "--jwks-url",
          null,
          "JWKS URL with RS256/ES256 public keys; cached, refetched when a token names an unknown kid.");
  public static final Setting JWT_ISSUER =
      new Setting(
          "LIVING_MAP_JWT_ISSUER",
          "--jwt-issuer",
          "daarion-auth",
          "Required iss claim (DAARION's auth-service issues daarion-auth); '*' accepts any.");
  public static final Setting JWT_AUDIENCE =
      new Setting(
          "LIVING_MAP_JWT_AUDIENCE",
          "--jwt-audience",
          null,
          "Required aud claim (one of, comma-separated). Unset: aud is not checked.");
  public static final Setting JWT_LEEWAY =
      new Setting(
          "LIVING_MAP_JWT_LEEWAY",
          "--jwt-leeway",
          "30s",
          "Clock skew allowed when checking exp and nbf.");
  public static final Setting JWKS_MIN_REFRESH =
      new Setting(
          "LIVING_MAP_JWKS_MIN_REFRESH",
          "--jwks-min-refresh",
          "10s",
          "Shortest time between two JWKS fetches (unknown kids cannot make us hammer the auth-service).");
  public static final Setting JWKS_MAX_AGE =
      new Setting(
          "LIVING_MAP_JWKS_MAX_AGE",
          "--jwks-max-age",
          "1h",
          "Cached JWKS keys are refetched after this long.");
  public static final Setting API_KEYS =
      new Setting(
          "LIVING_MAP_API_KEYS",
          "--api-keys",
          null,
          "API keys accepted in X-API-Key, comma-separated name:sha256hex[:role|role] (hash of the key, hex); plain name:key is accepted with a warning.");
  public static final Setting DEFAULT_ROLES =
      new Setting(
          "LIVING_MAP_DEFAULT_ROLES",
          "--default-roles",
          null,
          "Roles granted to every authenticated caller in addition to its own, comma-separated (e.g. living-map:read to let any valid DAARION token read).");
  public static final Setting PUBLIC_MODE =
      new Setting(
          "LIVING_MAP_PUBLIC_MODE",
          "--public-mode",
          "false",
          "With auth on, anonymous callers get the reduced public snapshot and health instead of 401.");
  public static final Setting LAYER_ROLES =
      new Setting(
          "LIVING_MAP_LAYER_ROLES",
          "--layer-roles",
          null,
          "Per-layer visibility: layer=role|role,... (e.g. nodes=living-map:ops). Unlisted layers are visible to every reader; admins see all.");
  public static final Setting METRICS_OPEN =
      new Setting(
          "LIVING_MAP_METRICS_OPEN",
          "--metrics-open",
          "false",
          "Serve /metrics without credentials when auth is on (for a scraper on a private network).");
  public static final Setting CORS_ORIGINS =
      new Setting(
          "LIVING_MAP_CORS_ORIGINS",
          "--cors-origins",
          null,
          "Origins allowed cross-origin, comma-separated. Unset: * when auth is off, none when it is on.");
  public static final Setting RATE_LIMIT =
      new Setting(
          "LIVING_MAP_RATE_LIMIT",
          "--rate-limit",
          "auto",
          "HTTP requests per second per client and burst (RATE:BURST), off, or auto (the default: 50:200 with auth on, off with auth off).");
  public static final Setting WS_CONNECT_RATE =
      new Setting(
          "LIVING_MAP_WS_CONNECT_RATE",
          "--ws-connect-rate",
          "auto",
          "WebSocket connects per second per client and burst (RATE:BURST), off, or auto (the default: 1:10 with auth on, off with auth off).");
  public static final Setting WS_FRAME_RATE =
      new Setting(
          "LIVING_MAP_WS_FRAME_RATE",
          "--ws-frame-rate",
          "auto",
          "Client-to-server WebSocket frames per second per client and burst (RATE:BURST), off, or auto (the default: 20:100 with auth on, off with auth off).");
  public static final Setting WS_MAX_PER_CLIENT =
      new Setting(
          "LIVING_MAP_WS_MAX_PER_CLIENT",
          "--ws-max-per-client",
          "auto",
          "Concurrent WebSocket connections of one client; auto: 20 with auth on, unlimited (only the total cap) with auth off.");
  public static final Setting RATE_LIMIT_CLIENTS =
      new Setting(
          "LIVING_MAP_RATE_LIMIT_CLIENTS",
          "--rate-limit-clients",
          "100000",
          "Clients tracked by the rate limiter at most (idle ones are evicted first): bounds its memory.");
  public static final Setting TRUST_PROXY =
      new Setting(
          "LIVING_MAP_TRUST_PROXY",
          "--trust-proxy",
          "false",
          "Take the client address from the last X-Forwarded-For entry (set it behind DAARION's nginx gateway).");
  public static final Setting MAX_BODY_BYTES =
      new Setting(
          "LIVING_MAP_MAX_BODY_BYTES",
          "--max-body-bytes",
          "65536",
          "Largest request body; larger ones get 413.");
  public static final Setting MAX_HEADER_BYTES =
      new Setting(
          "LIVING_MAP_MAX_HEADER_BYTES",
          "--max-header-bytes",
          "16384",
          "Largest total size of request headers; larger ones get 431.");
  public static final Setting MAX_URI_BYTES =
      new Setting(
          "LIVING_MAP_MAX_URI_BYTES",
          "--max-uri-bytes",
          "8192",
          "Longest request line (method, path and query); longer ones get 414.");
  public static final Setting REQUEST_TIMEOUT =
      new Setting(
          "LIVING_MAP_REQUEST_TIMEOUT",
          "--request-timeout",
          "30s",
          "A request not answered within this gets 503 (WebSocket upgrades excepted).");
  public static final Setting IDLE_TIMEOUT =
      new Setting(
          "LIVING_MAP_IDLE_TIMEOUT",
          "--idle-timeout",
          "120s",
          "Connections with no traffic for this long are closed (slow or stalled clients); keep above the WebSocket ping interval.");
  public static final Setting LOG_FORMAT =
      new Setting(
          "LIVING_MAP_LOG_FORMAT",
          "--log-format",
          "text",
          "text or json (one JSON object per line).");

  public static final List<Setting> ALL =
      List.of(
          PORT,
          HOST,
          DATABASE_URL,
          NATS_URL,
          NATS_MODE,
          NATS_SUBJECTS,
          NATS_STREAM,
          NATS_CREATE_STREAM,
          NATS_DURABLE,
          REPLICA_ID,
          DATA_DIR,
          CITY_SERVICE_URL,
          SPACE_SERVICE_URL,
          USAGE_ENGINE_URL,
          AGENTS_SERVICE_URL,
          MICRODAO_SERVICE_URL,
          DAO_SERVICE_URL,
          UPSTREAM_TOKEN,
          POLL_INTERVAL,
          UPSTREAM_TIMEOUT,
          UPSTREAM_MAX_REPLY_BYTES,
          UPSTREAM_POLICY,
          SIMULATOR,
          SIM_PORT,
          SIM_SEED,
          SIM_RATE,
          SIM_MICRODAOS,
          SIM_DAOS,
          SIM_NODES,
          SIM_AGENTS,
          SIM_CHANNELS,
          HISTORY_BATCH,
          HISTORY_LINGER,
          HISTORY_QUEUE,
          RETENTION,
          SNAPSHOT_INTERVAL,
          SNAPSHOT_PREPARE_INTERVAL,
          SNAPSHOT_EVENTS,
          SNAPSHOTS_KEPT,
          MAX_EVENT_BYTES,
          STATE_QUEUE_BYTES,
          HISTORY_QUEUE_BYTES,
          WS_QUEUE_BYTES,
          STREAM_RING_BYTES,
          HISTORY_MEMORY_BYTES,
          NATS_BUFFER_BYTES,
          RESPONSE_BYTES,
          WS_PING_INTERVAL,
          WS_COMPRESSION,
          WS_QUEUE,
          WS_MAX_CONNECTIONS,
          ALERT_RULES,
          ALERT_WEBHOOKS,
          ALERTMANAGER_URL,
          ALERT_NATS_SUBJECT,
          LOG_FORMAT,
          AUTH,
          JWT_SECRET,
          JWKS_URL,
          JWT_ISSUER,
          JWT_AUDIENCE,
          JWT_LEEWAY,
          JWKS_MIN_REFRESH,
          JWKS_MAX_AGE,
          API_KEYS,
          DEFAULT_ROLES,
          PUBLIC_MODE,
          LAYER_ROLES,
          METRICS_OPEN,
          CORS_ORIGINS,
          RATE_LIMIT,
          WS_CONNECT_RATE,
          WS_FRAME_RATE,
          WS_MAX_PER_CLIENT,
          RATE_LIMIT_CLIENTS,
          TRUST_PROXY,
          MAX_BODY_BYTES,
          MAX_HEADER_BYTES,
          MAX_URI_BYTES,
          REQUEST_TIMEOUT,
          IDLE_TIMEOUT);
}
