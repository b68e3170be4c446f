package org.daarion.livingmap.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one immutable configuration, loaded from environment variables and command-line flags (a flag
 * wins over its variable) and validated completely at start: a bad value throws {@link
 * ConfigException} naming the setting, before anything starts.
 */
public final class Config {
  private static final Pattern RATE =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(?:/s)?(?:[:,](?:burst=)?([0-9]+))?");
  private static final Pattern HASHED_KEY = Pattern.compile("([0-9a-fA-F]{64})(?::(.*))?");
  private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.*-]+(:[0-9]{1,5})?");

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
    port = intIn(Settings.PORT, 0, 65535);
    host = string(Settings.HOST);
    databaseUrl =
        optional(Settings.DATABASE_URL).map(v -> DatabaseUrl.parse(Settings.DATABASE_URL.env(), v));
    natsUrl = optional(Settings.NATS_URL).map(v -> natsUrls(Settings.NATS_URL, v));
    natsMode = choice(Settings.NATS_MODE, NatsMode.class);
    natsSubjects = list(Settings.NATS_SUBJECTS);
    natsStream = string(Settings.NATS_STREAM);
    natsCreateStream = bool(Settings.NATS_CREATE_STREAM);
    natsDurable = string(Settings.NATS_DURABLE);
    replicaId = optional(Settings.REPLICA_ID).map(String::trim);
    dataDir = Path.of(string(Settings.DATA_DIR));
    Map<UpstreamSource, Optional<URI>> urls = new HashMap<>();
    for (UpstreamSource source : UpstreamSource.values()) {
      urls.put(source, optional(source.setting()).map(v -> httpUrl(source.setting(), v)));
    }
    upstreamUrls = Map.copyOf(urls);
    upstreamToken = optional(Settings.UPSTREAM_TOKEN);
    pollInterval = positiveDuration(Settings.POLL_INTERVAL);
    upstreamTimeout = positiveDuration(Settings.UPSTREAM_TIMEOUT);
    upstreamPolicies =
        upstreamPolicies(Settings.UPSTREAM_POLICY, optional(Settings.UPSTREAM_POLICY).orElse(""));
    simulatorMode = choice(Settings.SIMULATOR, SimulatorMode.class);
    simPort = intIn(Settings.SIM_PORT, 0, 65535);
    simSeed = longValue(Settings.SIM_SEED);
    simRate = doubleIn(Settings.SIM_RATE, 0, 1_000_000);
    simMicrodaos = intIn(Settings.SIM_MICRODAOS, 1, 100_000);
    simDaos = intIn(Settings.SIM_DAOS, 1, 100_000);
    simNodes = intIn(Settings.SIM_NODES, 1, 1_000_000);
    simAgents = intIn(Settings.SIM_AGENTS, 0, 1_000_000);
    simChannels = intIn(Settings.SIM_CHANNELS, 0, 1_000_000);
    historyBatch = intIn(Settings.HISTORY_BATCH, 1, 100_000);
    historyLinger = duration(Settings.HISTORY_LINGER);
    historyQueue = intIn(Settings.HISTORY_QUEUE, 1, 100_000_000);
    retention = positiveDuration(Settings.RETENTION);
    snapshotInterval = positiveDuration(Settings.SNAPSHOT_INTERVAL);
    snapshotsKept = intIn(Settings.SNAPSHOTS_KEPT, 1, 1_000_000);
    snapshotPrepareInterval = duration(Settings.SNAPSHOT_PREPARE_INTERVAL);
    maxEventBytes = intIn(Settings.MAX_EVENT_BYTES, 1, Integer.MAX_VALUE);
    stateQueueBytes = intIn(Settings.STATE_QUEUE_BYTES, 65_536, Integer.MAX_VALUE);
    historyQueueBytes = intIn(Settings.HISTORY_QUEUE_BYTES, 65_536, Integer.MAX_VALUE);
    wsQueueBytes = intIn(Settings.WS_QUEUE_BYTES, 65_536, Integer.MAX_VALUE);
    streamRingBytes = intIn(Settings.STREAM_RING_BYTES, 65_536, Integer.MAX_VALUE);
    historyMemoryBytes = intIn(Settings.HISTORY_MEMORY_BYTES, 0, Integer.MAX_VALUE);
    // A pull must fit the largest message the server may carry (see NatsIngest).
    natsBufferBytes = intIn(Settings.NATS_BUFFER_BYTES, 1 << 20, Integer.MAX_VALUE);
    responseBytes = intIn(Settings.RESPONSE_BYTES, 65_536, Integer.MAX_VALUE);
    wsPingInterval = positiveDuration(Settings.WS_PING_INTERVAL);
    wsQueue = intIn(Settings.WS_QUEUE, 1, 10_000_000);
    wsCompression = bool(Settings.WS_COMPRESSION);
    wsMaxConnections = intIn(Settings.WS_MAX_CONNECTIONS, 1, 10_000_000);
    logFormat = choiceString(Settings.LOG_FORMAT, "text", "json");
    alertRules = optional(Settings.ALERT_RULES).map(Path::of);
    alertWebhooks =
        optional(Settings.ALERT_WEBHOOKS).stream()
            .flatMap(v -> Arrays.stream(v.split(",")))
            .map(String::trim)
            .filter(v -> !v.isEmpty())
            .map(v -> httpUrl(Settings.ALERT_WEBHOOKS, v))
            .toList();
    alertmanagerUrl =
        optional(Settings.ALERTMANAGER_URL).map(v -> httpUrl(Settings.ALERTMANAGER_URL, v));
    alertNatsSubject = optional(Settings.ALERT_NATS_SUBJECT);
    List<String> modes = list(Settings.AUTH);
    boolean jwt = false;
    boolean apiKey = false;
    for (String m : modes) {
      switch (m.toLowerCase(Locale.ROOT)) {
        case "off", "none" -> {
          if (modes.size() > 1) {
            throw bad(Settings.AUTH, value(Settings.AUTH), "off cannot be combined");
          }
        }
        case "jwt" -> jwt = true;
        case "apikey", "api-key", "api_key" -> apiKey = true;
        default ->
            throw bad(
                Settings.AUTH, value(Settings.AUTH), "must be off, jwt, apikey or jwt,apikey");
      }
    }
    authJwt = jwt;
    authApiKey = apiKey;
    jwtSecret = optional(Settings.JWT_SECRET);
    jwksUrl = optional(Settings.JWKS_URL).map(v -> httpUrl(Settings.JWKS_URL, v));
    jwtIssuer = string(Settings.JWT_ISSUER);
    jwtAudience =
        optional(Settings.JWT_AUDIENCE).map(v -> list(Settings.JWT_AUDIENCE)).orElse(List.of());
    jwtLeeway = duration(Settings.JWT_LEEWAY);
    jwksMinRefresh = duration(Settings.JWKS_MIN_REFRESH);
    jwksMaxAge = positiveDuration(Settings.JWKS_MAX_AGE);
    apiKeys = optional(Settings.API_KEYS).map(v -> apiKeys(Settings.API_KEYS, v)).orElse(List.of());
    defaultRoles =
        optional(Settings.DEFAULT_ROLES).map(v -> list(Settings.DEFAULT_ROLES)).orElse(List.of());
    publicMode = bool(Settings.PUBLIC_MODE);
    layerRoles =
        optional(Settings.LAYER_ROLES)
            .map(v -> layerRoles(Settings.LAYER_ROLES, v))
            .orElse(Map.of());
    metricsOpen = bool(Settings.METRICS_OPEN);
    corsOrigins = optional(Settings.CORS_ORIGINS).map(v -> origins(Settings.CORS_ORIGINS, v));
    boolean auth = authJwt || authApiKey;
    rateLimit = rate(Settings.RATE_LIMIT, auth ? new Rate(50, 200) : Rate.OFF);
    wsConnectRate = rate(Settings.WS_CONNECT_RATE, auth ? new Rate(1, 10) : Rate.OFF);
    wsFrameRate = rate(Settings.WS_FRAME_RATE, auth ? new Rate(20, 100) : Rate.OFF);
    wsMaxPerClient =
        "auto".equalsIgnoreCase(value(Settings.WS_MAX_PER_CLIENT))
            ? (auth ? 20 : Integer.MAX_VALUE)
            : intIn(Settings.WS_MAX_PER_CLIENT, 1, 1_000_000);
    rateLimitClients = intIn(Settings.RATE_LIMIT_CLIENTS, 100, 100_000_000);
    trustProxy = bool(Settings.TRUST_PROXY);
    maxBodyBytes = intIn(Settings.MAX_BODY_BYTES, 1024, Integer.MAX_VALUE);
    maxHeaderBytes = intIn(Settings.MAX_HEADER_BYTES, 1024, 1 << 20);
    maxUriBytes = intIn(Settings.MAX_URI_BYTES, 256, 1 << 20);
    requestTimeout = positiveDuration(Settings.REQUEST_TIMEOUT);
    idleTimeout = positiveDuration(Settings.IDLE_TIMEOUT);
    if (replicaId.isPresent()) {
      checkCluster(replicaId.get());
    }
    if (authJwt && jwtSecret.isEmpty() && jwksUrl.isEmpty()) {
      throw bad(
          Settings.AUTH,
          value(Settings.AUTH),
          "jwt needs " + Settings.JWT_SECRET.env() + " or " + Settings.JWKS_URL.env());
    }
    if (authApiKey && apiKeys.isEmpty()) {
      throw bad(Settings.AUTH, value(Settings.AUTH), "apikey needs " + Settings.API_KEYS.env());
    }
  }

  /** The subject cluster-mode replicas publish their own events on (reconciliation, alerts). */
  public static final String CLUSTER_SUBJECTS = "living_map.>";

  private void checkCluster(String id) {
    Setting s = Settings.REPLICA_ID;
    if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      throw bad(s, id, "must be 1 to 63 letters, digits, '.', '_' or '-' (e.g. the pod name)");
    }
    if (natsMode != NatsMode.JETSTREAM || natsUrl.isEmpty()) {
      throw bad(
          s,
          id,
          "cluster mode needs "
              + Settings.NATS_MODE.env()
              + "=jetstream and "
              + Settings.NATS_URL.env()
              + " (the replicas share one JetStream stream)");
    }
    if (databaseUrl.isEmpty()) {
      throw bad(
          s,
          id,
          "cluster mode needs "
              + Settings.DATABASE_URL.env()
              + " (one PostgreSQL shared by the replicas, not the embedded one)");
    }
    if (simulatorMode == SimulatorMode.ON) {
      throw bad(
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
    List<String> all = new java.util.ArrayList<>(natsSubjects);
    all.add(CLUSTER_SUBJECTS);
    return List.copyOf(all);
  }

  /** Whether any authentication is on ({@code LIVING_MAP_AUTH} is not {@code off}). */
  public boolean authEnabled() {
    return authJwt || authApiKey;
  }

  private Rate rate(Setting s, Rate auto) {
    String v = string(s).toLowerCase(Locale.ROOT);
    if (v.equals("auto")) {
      return auto;
    }
    if (v.equals("off") || v.equals("0")) {
      return Rate.OFF;
    }
    Matcher m = RATE.matcher(v);
    if (!m.matches()) {
      throw bad(
          s, v, "must be RATE:BURST (requests per second and burst, e.g. 50:200), auto or off");
    }
    double perSecond;
    try {
      perSecond = Double.parseDouble(m.group(1));
    } catch (NumberFormatException e) {
      throw bad(s, v, "rate must be a number");
    }
    int burst =
        m.group(2) == null ? (int) Math.max(1, Math.ceil(perSecond)) : Integer.parseInt(m.group(2));
    if (!(perSecond > 0 && perSecond <= 1_000_000) || burst < 1 || burst > 10_000_000) {
      throw bad(s, v, "rate must be in (0, 1000000] and burst in [1, 10000000]");
    }
    return new Rate(perSecond, burst);
  }

  /**
   * {@code [service.]key=value,...}: entries without a service apply to every source, entries with
   * one to that source, after the general ones.
   */
  private static Map<UpstreamSource, UpstreamPolicy> upstreamPolicies(Setting s, String v) {
    UpstreamPolicy all = UpstreamPolicy.DEFAULTS;
    Map<UpstreamSource, UpstreamPolicy> own = new java.util.EnumMap<>(UpstreamSource.class);
    for (String part : v.split(",")) {
      String entry = part.trim();
      if (entry.isEmpty()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw bad(s, v, "each entry must be [service.]key=value, got '" + entry + "'");
      }
      String key = entry.substring(0, eq).trim();
      String val = entry.substring(eq + 1).trim();
      UpstreamSource source = null;
      int dot = key.lastIndexOf('.');
      if (dot >= 0) {
        String name = key.substring(0, dot);
        for (UpstreamSource u : UpstreamSource.values()) {
          if (u.serviceName().equals(name)) {
            source = u;
          }
        }
        if (source == null) {
          throw bad(
              s,
              v,
              "unknown service '"
                  + name
                  + "'; one of city-service, space-service, usage-engine, agents-service,"
                  + " microdao-service, dao-service");
        }
        key = key.substring(dot + 1);
      }
      UpstreamPolicy one = policyEntry(s, v, key, val);
      if (source == null) {
        all = all.overriddenBy(one);
      } else {
        own.merge(source, one, UpstreamPolicy::overriddenBy);
      }
    }
    Map<UpstreamSource, UpstreamPolicy> out = new java.util.EnumMap<>(UpstreamSource.class);
    for (UpstreamSource u : UpstreamSource.values()) {
      UpstreamPolicy p = all.overriddenBy(own.getOrDefault(u, UpstreamPolicy.DEFAULTS));
      if (p.breakerWindow() != null
          && p.breakerMinCalls() != null
          && p.breakerMinCalls() > p.breakerWindow()) {
        throw bad(s, v, "breaker_min_calls must not exceed breaker_window");
      }
      out.put(u, p);
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  private static UpstreamPolicy policyEntry(Setting s, String v, String key, String val) {
    try {
      return switch (key) {
        case "timeout" ->
            new UpstreamPolicy(positive(s, v, key, val), null, null, null, null, null, null, null);
        case "attempts" ->
            new UpstreamPolicy(
                null, intBetween(s, v, key, val, 1, 10), null, null, null, null, null, null);
        case "backoff" ->
            new UpstreamPolicy(null, null, positive(s, v, key, val), null, null, null, null, null);
        case "max_backoff" ->
            new UpstreamPolicy(null, null, null, positive(s, v, key, val), null, null, null, null);
        case "breaker_window" ->
            new UpstreamPolicy(
                null, null, null, null, intBetween(s, v, key, val, 1, 1000), null, null, null);
        case "breaker_min_calls" ->
            new UpstreamPolicy(
                null, null, null, null, null, intBetween(s, v, key, val, 1, 1000), null, null);
        case "breaker_failure_rate" -> {
          float rate = Float.parseFloat(val);
          if (!(rate > 0 && rate <= 100)) {
            throw bad(s, v, key + " must be a percentage in (0, 100]");
          }
          yield new UpstreamPolicy(null, null, null, null, null, null, rate, null);
        }
        case "breaker_open_for" ->
            new UpstreamPolicy(null, null, null, null, null, null, null, positive(s, v, key, val));
        default ->
            throw bad(
                s,
                v,
                "unknown key '" + key + "'; one of " + String.join(", ", UpstreamPolicy.KEYS));
      };
    } catch (NumberFormatException e) {
      throw bad(s, v, key + " must be a number");
    }
  }

  private static Duration positive(Setting s, String v, String key, String val) {
    Duration d = Durations.parse(val);
    if (d == null) {
      throw bad(s, v, key + " must be a duration such as 250ms, 5s or 2m");
    }
    if (d.isZero()) {
      throw bad(s, v, key + " must be greater than zero");
    }
    return d;
  }

  private static int intBetween(Setting s, String v, String key, String val, int min, int max) {
    int n = Integer.parseInt(val);
    if (n < min || n > max) {
      throw bad(s, v, key + " must be between " + min + " and " + max);
    }
    return n;
  }

  private static List<ApiKey> apiKeys(Setting s, String v) {
    List<ApiKey> out = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    int n = 0;
    for (String part : v.split(",")) {
      String entry = part.trim();
      if (entry.isEmpty()) {
        continue;
      }
      n++;
      int colon = entry.indexOf(':');
      String name = colon > 0 ? entry.substring(0, colon) : "key-" + n;
      String rest = colon > 0 ? entry.substring(colon + 1) : entry;
      if (rest.isEmpty()) {
        throw bad(s, "(entry " + n + ")", "entry " + n + " has no key");
      }
      if (!names.add(name)) {
        throw bad(s, "(entry " + n + ")", "API key name '" + name + "' is used twice");
      }
      Matcher m = HASHED_KEY.matcher(rest);
      if (m.matches()) {
        List<String> roles = new ArrayList<>();
        if (m.group(2) != null) {
          for (String r : m.group(2).split("[|+]")) {
            if (!r.isBlank()) {
              roles.add(r.trim());
            }
          }
        }
        out.add(new ApiKey(name, hex(m.group(1)), List.copyOf(roles), false));
      } else {
        out.add(new ApiKey(name, sha256(rest), List.of(), true));
      }
    }
    return List.copyOf(out);
  }

  private static byte[] hex(String h) {
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }

  /** SHA-256 of a key's UTF-8 bytes: what {@code LIVING_MAP_API_KEYS} holds, in hex. */
  public static byte[] sha256(String key) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256")
          .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, List<String>> layerRoles(Setting s, String v) {
    Map<String, List<String>> out = new java.util.LinkedHashMap<>();
    for (String part : v.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int eq = part.indexOf('=');
      String layer = eq > 0 ? part.substring(0, eq).trim() : "";
      if (!layer.matches("[a-z][a-z0-9_-]*") || eq == part.length() - 1) {
        throw bad(s, v, "must be layer=role|role,... (e.g. nodes=living-map:ops)");
      }
      List<String> roles = new ArrayList<>();
      for (String r : part.substring(eq + 1).split("[|+]")) {
        if (!r.isBlank()) {
          roles.add(r.trim());
        }
      }
      out.put(layer, List.copyOf(roles));
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  private static List<String> origins(Setting s, String v) {
    List<String> out = new ArrayList<>();
    for (String part : v.split(",")) {
      String o = part.trim();
      if (o.isEmpty()) {
        continue;
      }
      if (!o.equals("*") && !ORIGIN.matcher(o).matches()) {
        throw bad(
            s, v, "each origin must be * or scheme://host[:port] without a path, got '" + o + "'");
      }
      out.add(o);
    }
    return List.copyOf(out);
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

  private String value(Setting s) {
    String v = raw.get(s);
    return v != null ? v : s.defaultValue();
  }

  private String string(Setting s) {
    String v = value(s);
    if (v == null || v.isBlank()) {
      throw bad(s, v, "must not be empty");
    }
    return v;
  }

  private Optional<String> optional(Setting s) {
    String v = value(s);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
  }

  private int intIn(Setting s, int min, int max) {
    String v = value(s);
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw bad(s, v, "must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw bad(s, v, "must be a whole number");
    }
  }

  private long longValue(Setting s) {
    String v = value(s);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw bad(s, v, "must be a whole number");
    }
  }

  private double doubleIn(Setting s, double min, double max) {
    String v = value(s);
    try {
      double d = Double.parseDouble(v);
      if (!(d >= min && d <= max)) {
        throw bad(s, v, "must be between " + min + " and " + max);
      }
      return d;
    } catch (NumberFormatException e) {
      throw bad(s, v, "must be a number");
    }
  }

  private boolean bool(Setting s) {
    String v = value(s).toLowerCase(Locale.ROOT);
    return switch (v) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw bad(s, v, "must be true or false");
    };
  }

  private List<String> list(Setting s) {
    List<String> out = new ArrayList<>();
    for (String part : string(s).split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    if (out.isEmpty()) {
      throw bad(s, value(s), "must list at least one value");
    }
    return List.copyOf(out);
  }

  private <E extends Enum<E>> E choice(Setting s, Class<E> type) {
    String v = value(s);
    try {
      return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      String allowed =
          String.join(
              ", ",
              Arrays.stream(type.getEnumConstants())
                  .map(c -> c.name().toLowerCase(Locale.ROOT))
                  .toList());
      throw bad(s, v, "must be one of " + allowed);
    }
  }

  private String choiceString(Setting s, String... allowed) {
    String v = value(s).toLowerCase(Locale.ROOT);
    if (!Arrays.asList(allowed).contains(v)) {
      throw bad(s, v, "must be one of " + String.join(", ", allowed));
    }
    return v;
  }

  private Duration positiveDuration(Setting s) {
    Duration d = duration(s);
    if (d.isZero()) {
      throw bad(s, value(s), "must be greater than zero");
    }
    return d;
  }

  private Duration duration(Setting s) {
    return parseDuration(s, value(s));
  }

  /** A duration in the syntax of {@link Durations} (bare number: seconds), or a bad setting. */
  static Duration parseDuration(Setting s, String v) {
    Duration d = Durations.parse(v);
    if (d == null) {
      throw bad(s, v, "must be a duration such as 250ms, 30s, 5m, 2h or 30d");
    }
    return d;
  }

  private static URI httpUrl(Setting s, String v) {
    try {
      URI uri = new URI(v);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw bad(s, v, "must be an http:// or https:// URL with a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw bad(s, v, "is not a URL");
    }
  }

  private static String natsUrls(Setting s, String v) {
    for (String part : v.split(",")) {
      try {
        URI uri = new URI(part.trim());
        String scheme = uri.getScheme();
        if (scheme == null
            || !(scheme.equals("nats")
                || scheme.equals("tls")
                || scheme.equals("ws")
                || scheme.equals("wss"))
            || uri.getHost() == null) {
          throw bad(s, v, "must be nats://host:port (or tls://, ws://, wss://), comma-separated");
        }
      } catch (URISyntaxException e) {
        throw bad(s, v, "is not a URL");
      }
    }
    return v;
  }

  static ConfigException bad(Setting s, String value, String why) {
    return new ConfigException(
        "invalid setting " + s.env() + " (" + s.flag() + ") = '" + value + "': " + why);
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
