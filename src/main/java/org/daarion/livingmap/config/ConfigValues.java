package org.daarion.livingmap.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.daarion.livingmap.config.Config.ApiKey;
import org.daarion.livingmap.config.Config.Rate;

/**
 * Every value parser of the configuration, in one place: each reads one setting's text (given, or
 * its default) and returns the typed value, or throws {@link ConfigException} naming the setting,
 * the value and what it must be. {@link Config} declares the settings and calls these once, at
 * load.
 */
final class ConfigValues {
  private static final Pattern RATE =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(?:/s)?(?:[:,](?:burst=)?([0-9]+))?");
  private static final Pattern HASHED_KEY = Pattern.compile("([0-9a-fA-F]{64})(?::(.*))?");
  private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.*-]+(:[0-9]{1,5})?");

  private final Map<Setting, String> raw;

  ConfigValues(Map<Setting, String> raw) {
    this.raw = raw;
  }

  Rate rate(Setting s, Rate auto) {
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
  static Map<UpstreamSource, UpstreamPolicy> upstreamPolicies(Setting s, String v) {
    UpstreamPolicy all = UpstreamPolicy.DEFAULTS;
    Map<UpstreamSource, UpstreamPolicy> own = new EnumMap<>(UpstreamSource.class);
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
    Map<UpstreamSource, UpstreamPolicy> out = new EnumMap<>(UpstreamSource.class);
    for (UpstreamSource u : UpstreamSource.values()) {
      UpstreamPolicy p = all.overriddenBy(own.getOrDefault(u, UpstreamPolicy.DEFAULTS));
      if (p.breakerWindow() != null
          && p.breakerMinCalls() != null
          && p.breakerMinCalls() > p.breakerWindow()) {
        throw bad(s, v, "breaker_min_calls must not exceed breaker_window");
      }
      out.put(u, p);
    }
    return Collections.unmodifiableMap(out);
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

  static List<ApiKey> apiKeys(Setting s, String v) {
    List<ApiKey> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
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
        out.add(new ApiKey(name, Config.sha256(rest), List.of(), true));
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

  static Map<String, List<String>> layerRoles(Setting s, String v) {
    Map<String, List<String>> out = new LinkedHashMap<>();
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
    return Collections.unmodifiableMap(out);
  }

  static List<String> origins(Setting s, String v) {
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

  String value(Setting s) {
    String v = raw.get(s);
    return v != null ? v : s.defaultValue();
  }

  String string(Setting s) {
    String v = value(s);
    if (v == null || v.isBlank()) {
      throw bad(s, v, "must not be empty");
    }
    return v;
  }

  Optional<String> optional(Setting s) {
    String v = value(s);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
  }

  int intIn(Setting s, int min, int max) {
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

  long longValue(Setting s) {
    String v = value(s);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw bad(s, v, "must be a whole number");
    }
  }

  double doubleIn(Setting s, double min, double max) {
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

  boolean bool(Setting s) {
    String v = value(s).toLowerCase(Locale.ROOT);
    return switch (v) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw bad(s, v, "must be true or false");
    };
  }

  List<String> list(Setting s) {
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

  <E extends Enum<E>> E choice(Setting s, Class<E> type) {
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

  String choiceString(Setting s, String... allowed) {
    String v = value(s).toLowerCase(Locale.ROOT);
    if (!Arrays.asList(allowed).contains(v)) {
      throw bad(s, v, "must be one of " + String.join(", ", allowed));
    }
    return v;
  }

  Duration positiveDuration(Setting s) {
    Duration d = duration(s);
    if (d.isZero()) {
      throw bad(s, value(s), "must be greater than zero");
    }
    return d;
  }

  Duration duration(Setting s) {
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

  static URI httpUrl(Setting s, String v) {
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

  static String natsUrls(Setting s, String v) {
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
}
