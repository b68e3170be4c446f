package org.daarion.livingmap.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The one immutable configuration, loaded from environment variables and command-line flags (a flag
 * wins over its variable) and validated completely at start: a bad value throws {@link
 * ConfigException} naming the setting, before anything starts.
 */
public final class Config {
  private final Map<Setting, String> raw;

  public final int port;
  public final String host;
  public final Optional<DatabaseUrl> databaseUrl;
  public final Optional<String> natsUrl;
  public final NatsMode natsMode;
  public final List<String> natsSubjects;
  public final String natsStream;
  public final boolean natsCreateStream;
  public final String natsDurable;

  /**
   * Cluster mode ({@code LIVING_MAP_REPLICA_ID}): this replica's name; empty for a single instance.
   */
  public final Optional<String> replicaId;

  public final Path dataDir;
  public final Map<UpstreamSource, Optional<URI>> upstreamUrls;
  public final Optional<String> upstreamToken;
  public final Duration pollInterval;
  public final Duration upstreamTimeout;
  public final int upstreamMaxReplyBytes;

  /** Per source, the overrides of its resilience policy ({@link UpstreamPolicy#DEFAULTS}: none). */
  public final Map<UpstreamSource, UpstreamPolicy> upstreamPolicies;

  public final SimulatorMode simulatorMode;
  public final int simPort;
  public final long simSeed;
  public final double simRate;
  public final int simMicrodaos;
  public final int simDaos;
  public final int simNodes;
  public final int simAgents;
  public final int simChannels;
  public final int historyBatch;
  public final Duration historyLinger;
  public final int historyQueue;
  public final Duration retention;
  public final Duration snapshotInterval;

  /** How often at most a changing state's served snapshot is prepared again; zero: on demand. */
  public final Duration snapshotPrepareInterval;

  public final int snapshotsKept;
  public final int snapshotEvents;
  public final int maxEventBytes;
  // --- memory budget in bytes (issue 13 part 2)
  public final long stateQueueBytes;
  public final long historyQueueBytes;
  public final long wsQueueBytes;
  public final long streamRingBytes;
  public final long historyMemoryBytes;
  public final long natsBufferBytes;
  public final long responseBytes;
  public final Duration wsPingInterval;
  public final int wsQueue;

  /** Whether the stream offers permessage-deflate. */
  public final boolean wsCompression;

  public final int wsMaxConnections;
  public final String logFormat;
  public final Optional<Path> alertRules;
  public final List<URI> alertWebhooks;
  public final Optional<URI> alertmanagerUrl;
  public final Optional<String> alertNatsSubject;
  // --- security, limits (issue 7) ---
  public final boolean authJwt;
  public final boolean authApiKey;
  public final Optional<String> jwtSecret;
  public final Optional<URI> jwksUrl;
  public final String jwtIssuer;
  public final List<String> jwtAudience;
  public final Duration jwtLeeway;
  public final Duration jwksMinRefresh;
  public final Duration jwksMaxAge;
  public final List<ApiKey> apiKeys;
  public final List<String> defaultRoles;
  public final boolean publicMode;
  public final Map<String, List<String>> layerRoles;
  public final boolean metricsOpen;
  public final Optional<List<String>> corsOrigins;
  public final Rate rateLimit;
  public final Rate wsConnectRate;
  public final Rate wsFrameRate;
  public final int wsMaxPerClient;
  public final int rateLimitClients;
  public final boolean trustProxy;
  public final int maxBodyBytes;
  public final int maxHeaderBytes;
  public final int maxUriBytes;
  public final Duration requestTimeout;
  public final Duration idleTimeout;

  /**
   * A token bucket's refill rate (tokens per second) and capacity. {@link #OFF} (rate 0) means no
   * limit.
   */
  public record Rate(double perSecond, int burst) {
    public static final Rate OFF = new Rate(0, 0);

    public boolean enabled() {
      return perSecond > 0;
    }
  }

  /**
   * One configured API key: its name (the client identity in logs, metrics and rate limits), the
   * SHA-256 of the key, the roles it grants (empty: the reader role), and whether it was given in
   * plain text.
   */
  public record ApiKey(String name, byte[] sha256, List<String> roles, boolean plain) {}

  private Config(Map<Setting, String> raw) {
    this.raw = Map.copyOf(raw);
    ConfigValues values = new ConfigValues(this.raw);
    port = values.intIn(Settings.PORT, 0, 65535);
    host = values.string(Settings.HOST);
    databaseUrl =
        values
            .optional(Settings.DATABASE_URL)
            .map(v -> DatabaseUrl.parse(Settings.DATABASE_URL.env(), v));
    natsUrl =
        values.optional(Settings.NATS_URL).map(v -> ConfigValues.natsUrls(Settings.NATS_URL, v));
    natsMode = values.choice(Settings.NATS_MODE, NatsMode.class);
    natsSubjects = values.list(Settings.NATS_SUBJECTS);
    natsStream = values.string(Settings.NATS_STREAM);
    natsCreateStream = values.bool(Settings.NATS_CREATE_STREAM);
    natsDurable = values.string(Settings.NATS_DURABLE);
    replicaId = values.optional(Settings.REPLICA_ID).map(String::trim);
    dataDir = Path.of(values.string(Settings.DATA_DIR));
    Map<UpstreamSource, Optional<URI>> urls = new HashMap<>();
    for (UpstreamSource source : UpstreamSource.values()) {
      urls.put(
          source,
          values.optional(source.setting()).map(v -> ConfigValues.httpUrl(source.setting(), v)));
    }
    upstreamUrls = Map.copyOf(urls);
    upstreamToken = values.optional(Settings.UPSTREAM_TOKEN);
    pollInterval = values.positiveDuration(Settings.POLL_INTERVAL);
    upstreamTimeout = values.positiveDuration(Settings.UPSTREAM_TIMEOUT);
    upstreamMaxReplyBytes =
        values.intIn(Settings.UPSTREAM_MAX_REPLY_BYTES, 1024, Integer.MAX_VALUE - 8);
    upstreamPolicies =
        ConfigValues.upstreamPolicies(
            Settings.UPSTREAM_POLICY, values.optional(Settings.UPSTREAM_POLICY).orElse(""));
    simulatorMode = values.choice(Settings.SIMULATOR, SimulatorMode.class);
    simPort = values.intIn(Settings.SIM_PORT, 0, 65535);
    simSeed = values.longValue(Settings.SIM_SEED);
    simRate = values.doubleIn(Settings.SIM_RATE, 0, 1_000_000);
    simMicrodaos = values.intIn(Settings.SIM_MICRODAOS, 1, 100_000);
    simDaos = values.intIn(Settings.SIM_DAOS, 1, 100_000);
    simNodes = values.intIn(Settings.SIM_NODES, 1, 1_000_000);
    simAgents = values.intIn(Settings.SIM_AGENTS, 0, 1_000_000);
    simChannels = values.intIn(Settings.SIM_CHANNELS, 0, 1_000_000);
    historyBatch = values.intIn(Settings.HISTORY_BATCH, 1, 100_000);
    historyLinger = values.duration(Settings.HISTORY_LINGER);
    historyQueue = values.intIn(Settings.HISTORY_QUEUE, 1, 100_000_000);
    retention = values.positiveDuration(Settings.RETENTION);
    snapshotInterval = values.positiveDuration(Settings.SNAPSHOT_INTERVAL);
    snapshotsKept = values.intIn(Settings.SNAPSHOTS_KEPT, 1, 1_000_000);
    snapshotEvents = values.intIn(Settings.SNAPSHOT_EVENTS, 0, Integer.MAX_VALUE);
    snapshotPrepareInterval = values.duration(Settings.SNAPSHOT_PREPARE_INTERVAL);
    maxEventBytes = values.intIn(Settings.MAX_EVENT_BYTES, 1, Integer.MAX_VALUE);
    stateQueueBytes = values.intIn(Settings.STATE_QUEUE_BYTES, 65_536, Integer.MAX_VALUE);
    historyQueueBytes = values.intIn(Settings.HISTORY_QUEUE_BYTES, 65_536, Integer.MAX_VALUE);
    wsQueueBytes = values.intIn(Settings.WS_QUEUE_BYTES, 65_536, Integer.MAX_VALUE);
    streamRingBytes = values.intIn(Settings.STREAM_RING_BYTES, 65_536, Integer.MAX_VALUE);
    historyMemoryBytes = values.intIn(Settings.HISTORY_MEMORY_BYTES, 0, Integer.MAX_VALUE);
    // A pull must fit the largest message the server may carry (see NatsIngest).
    natsBufferBytes = values.intIn(Settings.NATS_BUFFER_BYTES, 1 << 20, Integer.MAX_VALUE);
    responseBytes = values.intIn(Settings.RESPONSE_BYTES, 65_536, Integer.MAX_VALUE);
    wsPingInterval = values.positiveDuration(Settings.WS_PING_INTERVAL);
    wsQueue = values.intIn(Settings.WS_QUEUE, 1, 10_000_000);
    wsCompression = values.bool(Settings.WS_COMPRESSION);
    wsMaxConnections = values.intIn(Settings.WS_MAX_CONNECTIONS, 1, 10_000_000);
    logFormat = values.choiceString(Settings.LOG_FORMAT, "text", "json");
    alertRules = values.optional(Settings.ALERT_RULES).map(Path::of);
    alertWebhooks =
        values.optional(Settings.ALERT_WEBHOOKS).stream()
            .flatMap(v -> Arrays.stream(v.split(",")))
            .map(String::trim)
            .filter(v -> !v.isEmpty())
            .map(v -> ConfigValues.httpUrl(Settings.ALERT_WEBHOOKS, v))
            .toList();
    alertmanagerUrl =
        values
            .optional(Settings.ALERTMANAGER_URL)
            .map(v -> ConfigValues.httpUrl(Settings.ALERTMANAGER_URL, v));
    alertNatsSubject = values.optional(Settings.ALERT_NATS_SUBJECT);
    List<String> modes = values.list(Settings.AUTH);
    boolean jwt = false;
    boolean apiKey = false;
    for (String m : modes) {
      switch (m.toLowerCase(Locale.ROOT)) {
        case "off", "none" -> {
          if (modes.size() > 1) {
            throw ConfigValues.bad(
                Settings.AUTH, values.value(Settings.AUTH), "off cannot be combined");
          }
        }
        case "jwt" -> jwt = true;
        case "apikey", "api-key", "api_key" -> apiKey = true;
        default ->
            throw ConfigValues.bad(
                Settings.AUTH,
                values.value(Settings.AUTH),
                "must be off, jwt, apikey or jwt,apikey");
      }
    }
    authJwt = jwt;
    authApiKey = apiKey;
    jwtSecret = values.optional(Settings.JWT_SECRET);
    jwksUrl =
        values.optional(Settings.JWKS_URL).map(v -> ConfigValues.httpUrl(Settings.JWKS_URL, v));
    jwtIssuer = values.string(Settings.JWT_ISSUER);
    jwtAudience =
        values
            .optional(Settings.JWT_AUDIENCE)
            .map(v -> values.list(Settings.JWT_AUDIENCE))
            .orElse(List.of());
    jwtLeeway = values.duration(Settings.JWT_LEEWAY);
    jwksMinRefresh = values.duration(Settings.JWKS_MIN_REFRESH);
    jwksMaxAge = values.positiveDuration(Settings.JWKS_MAX_AGE);
    apiKeys =
        values
            .optional(Settings.API_KEYS)
            .map(v -> ConfigValues.apiKeys(Settings.API_KEYS, v))
            .orElse(List.of());
    defaultRoles =
        values
            .optional(Settings.DEFAULT_ROLES)
            .map(v -> values.list(Settings.DEFAULT_ROLES))
            .orElse(List.of());
    publicMode = values.bool(Settings.PUBLIC_MODE);
    layerRoles =
        values
            .optional(Settings.LAYER_ROLES)
            .map(v -> ConfigValues.layerRoles(Settings.LAYER_ROLES, v))
            .orElse(Map.of());
    metricsOpen = values.bool(Settings.METRICS_OPEN);
    corsOrigins =
        values
            .optional(Settings.CORS_ORIGINS)
            .map(v -> ConfigValues.origins(Settings.CORS_ORIGINS, v));
    boolean auth = authJwt || authApiKey;
    rateLimit = values.rate(Settings.RATE_LIMIT, auth ? new Rate(50, 200) : Rate.OFF);
    wsConnectRate = values.rate(Settings.WS_CONNECT_RATE, auth ? new Rate(1, 10) : Rate.OFF);
    wsFrameRate = values.rate(Settings.WS_FRAME_RATE, auth ? new Rate(20, 100) : Rate.OFF);
    wsMaxPerClient =
        "auto".equalsIgnoreCase(values.value(Settings.WS_MAX_PER_CLIENT))
            ? (auth ? 20 : Integer.MAX_VALUE)
            : values.intIn(Settings.WS_MAX_PER_CLIENT, 1, 1_000_000);
    rateLimitClients = values.intIn(Settings.RATE_LIMIT_CLIENTS, 100, 100_000_000);
    trustProxy = values.bool(Settings.TRUST_PROXY);
    maxBodyBytes = values.intIn(Settings.MAX_BODY_BYTES, 1024, Integer.MAX_VALUE);
    maxHeaderBytes = values.intIn(Settings.MAX_HEADER_BYTES, 1024, 1 << 20);
    maxUriBytes = values.intIn(Settings.MAX_URI_BYTES, 256, 1 << 20);
    requestTimeout = values.positiveDuration(Settings.REQUEST_TIMEOUT);
    idleTimeout = values.positiveDuration(Settings.IDLE_TIMEOUT);
    if (replicaId.isPresent()) {
      checkCluster(replicaId.get());
    }
    if (authJwt && jwtSecret.isEmpty() && jwksUrl.isEmpty()) {
      throw ConfigValues.bad(
          Settings.AUTH,
          values.value(Settings.AUTH),
          "jwt needs " + Settings.JWT_SECRET.env() + " or " + Settings.JWKS_URL.env());
    }
    if (authApiKey && apiKeys.isEmpty()) {
      throw ConfigValues.bad(
          Settings.AUTH, values.value(Settings.AUTH), "apikey needs " + Settings.API_KEYS.env());
    }
  }

  /** The subject cluster-mode replicas publish their own events on (reconciliation, alerts). */
  public static final String CLUSTER_SUBJECTS = "living_map.>";

  private void checkCluster(String id) {
    Setting s = Settings.REPLICA_ID;
    if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      throw ConfigValues.bad(
          s, id, "must be 1 to 63 letters, digits, '.', '_' or '-' (e.g. the pod name)");
    }
    if (natsMode != NatsMode.JETSTREAM || natsUrl.isEmpty()) {
      throw ConfigValues.bad(
          s,
          id,
          "cluster mode needs "
              + Settings.NATS_MODE.env()
              + "=jetstream and "
              + Settings.NATS_URL.env()
              + " (the replicas share one JetStream stream)");
    }
    if (databaseUrl.isEmpty()) {
      throw ConfigValues.bad(
          s,
          id,
          "cluster mode needs "
              + Settings.DATABASE_URL.env()
              + " (one PostgreSQL shared by the replicas, not the embedded one)");
    }
    if (simulatorMode == SimulatorMode.ON) {
      throw ConfigValues.bad(
          s,
          id,
          "cluster mode cannot run the built-in simulator ("
              + Settings.SIMULATOR.env()
              + "=on): publish to the shared NATS instead");
    }
  }

  /** Whether this is one replica of several ({@code LIVING_MAP_REPLICA_ID} is set). */
  public boolean clustered() {
    return replicaId.isPresent();
  }

  /**
   * The subjects taken from JetStream: the configured ones, plus {@link #CLUSTER_SUBJECTS} in
   * cluster mode (the events replicas publish themselves).
   */
  public List<String> streamSubjects() {
    if (!clustered() || natsSubjects.contains(CLUSTER_SUBJECTS)) {
      return natsSubjects;
    }
    List<String> all = new ArrayList<>(natsSubjects);
    all.add(CLUSTER_SUBJECTS);
    return List.copyOf(all);
  }

  /** Whether any authentication is on ({@code LIVING_MAP_AUTH} is not {@code off}). */
  public boolean authEnabled() {
    return authJwt || authApiKey;
  }

  /** SHA-256 of a key's UTF-8 bytes: what {@code LIVING_MAP_API_KEYS} holds, in hex. */
  public static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Loads from the process environment and command-line flags. */
  public static Config load(Map<String, String> env, String[] args) {
    Map<Setting, String> raw = new HashMap<>();
    for (Setting s : Settings.ALL) {
      String v = env.get(s.env());
      if (v != null && !v.isBlank()) {
        raw.put(s, v.trim());
      }
    }
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      Setting setting = byFlag(name);
      if (setting == null) {
        throw new ConfigException("unknown option " + name + " (see --help)");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new ConfigException(name + " needs a value");
        }
        value = args[++i];
      }
      raw.put(setting, value.trim());
    }
    return new Config(raw);
  }

  /** Config from environment-variable names only, for tests and embedding. */
  public static Config of(Map<String, String> env) {
    return load(env, new String[0]);
  }

  /** A copy with some settings replaced (keys are environment-variable names). */
  public Config with(Map<String, String> overrides) {
    Map<Setting, String> copy = new HashMap<>(raw);
    overrides.forEach(
        (k, v) -> {
          Setting s = Settings.ALL.stream().filter(x -> x.env().equals(k)).findFirst().orElse(null);
          if (s == null) {
            throw new ConfigException("unknown setting " + k);
          }
          if (v == null) {
            copy.remove(s);
          } else {
            copy.put(s, v);
          }
        });
    return new Config(copy);
  }

  /** True when no upstream URL is configured, so upstreams come from the built-in simulator. */
  public boolean upstreamsSimulated() {
    return upstreamUrls.values().stream().allMatch(Optional::isEmpty);
  }

  /** Whether this process runs the built-in simulator. */
  public boolean simulatorEnabled() {
    return switch (simulatorMode) {
      case ON -> true;
      case OFF -> false;
      case AUTO -> upstreamsSimulated() && natsUrl.isEmpty();
    };
  }

  private static Setting byFlag(String flag) {
    for (Setting s : Settings.ALL) {
      if (s.flag().equals(flag)) {
        return s;
      }
    }
    return null;
  }

  /** Help text listing every setting. */
  public static String help() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: living-map [serve|simulate|help] [--flag value ...]\n\n");
    sb.append("Every flag can also be set by its environment variable.\n\n");
    for (Setting s : Settings.ALL) {
      sb.append(
          String.format(
              "  %-26s %-30s default: %s%n      %s%n",
              s.flag(), s.env(), s.defaultValue() == null ? "(unset)" : s.defaultValue(), s.doc()));
    }
    return sb.toString();
  }

  /**
   * The configuration reference as a Markdown table (docs/OPERATIONS.md holds it between {@code
   * <!-- settings:begin -->} and {@code <!-- settings:end -->}; a test keeps the two equal).
   */
  public static String markdownReference() {
    StringBuilder sb = new StringBuilder();
    sb.append("| variable | flag | default | meaning |\n");
    sb.append("|---|---|---|---|\n");
    for (Setting s : Settings.ALL) {
      sb.append("| `")
          .append(s.env())
          .append("` | `")
          .append(s.flag())
          .append("` | ")
          .append(
              s.defaultValue() == null
                  ? "(unset)"
                  : "`" + s.defaultValue().replace("|", "\\|") + "`")
          .append(" | ")
          .append(s.doc().replace("|", "\\|"))
          .append(" |\n");
    }
    return sb.toString();
  }
}
