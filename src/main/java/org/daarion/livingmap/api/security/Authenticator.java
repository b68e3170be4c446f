package org.daarion.livingmap.api.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import org.daarion.livingmap.config.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Establishes the {@link Principal} of an HTTP request or a WebSocket upgrade. Used by {@link
 * AuthHandler} for every routed request, and directly by a WebSocket endpoint that is not behind
 * the router.
 *
 * <p>Credentials, in order of precedence (every one presented must be valid; the principal is the
 * first's):
 *
 * <ol>
 *   <li>{@code Authorization: Bearer <jwt>};
 *   <li>{@code X-API-Key: <key>};
 *   <li>on a WebSocket upgrade only: the {@code access_token} query parameter, then the {@code
 *       Sec-WebSocket-Protocol} bearer convention {@code bearer, <jwt>} (browsers cannot set
 *       headers on a WebSocket); the server must then echo the {@code bearer} subprotocol, which
 *       {@code ApiServer} declares.
 * </ol>
 *
 * <p>Outcomes: auth off → {@link Principal#LOCAL} whatever was sent; no credentials → {@link
 * Principal#ANONYMOUS} in public mode, else 401; bad credentials → 401 even in public mode (a
 * caller who tried to authenticate is told it failed, never silently downgraded). Thread-safe.
 */
public final class Authenticator {
  private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

  /** The subprotocol of the WebSocket bearer convention. */
  public static final String BEARER_SUBPROTOCOL = "bearer";

  private final boolean enabled;
  private final boolean publicMode;
  private final JwtVerifier jwt;
  private final ApiKeys apiKeys;

  /**
   * @param jwt verifier, or null when JWTs are not accepted
   * @param apiKeys keys, or null when API keys are not accepted
   */
  public Authenticator(boolean enabled, boolean publicMode, JwtVerifier jwt, ApiKeys apiKeys) {
    this.enabled = enabled;
    this.publicMode = publicMode;
    this.jwt = jwt;
    this.apiKeys = apiKeys;
  }

  /** Builds the authenticator {@code LIVING_MAP_AUTH} and the related settings describe. */
  public static Authenticator create(Vertx vertx, Config config, Clock clock) {
    if (!config.authEnabled()) {
      log.warn(
          "LIVING_MAP_AUTH=off: every route is open to anyone who can reach port {}. Set"
              + " LIVING_MAP_AUTH=jwt and/or apikey in production (docs/OPERATIONS.md).",
          config.port);
      return new Authenticator(false, false, null, null);
    }
    JwtVerifier jwt = null;
    if (config.authJwt) {
      Jwks jwks =
          config
              .jwksUrl
              .map(u -> new Jwks(vertx, u, config.jwksMinRefresh, config.jwksMaxAge, clock))
              .orElse(null);
      String secret = config.jwtSecret.orElse(null);
      if (secret != null && secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
        log.warn("LIVING_MAP_JWT_SECRET is shorter than 32 bytes: HS256 wants at least 256 bits");
      }
      jwt =
          new JwtVerifier(
              secret,
              jwks,
              config.jwtIssuer,
              config.jwtAudience,
              config.jwtLeeway,
              clock,
              config.defaultRoles);
    }
    ApiKeys keys = null;
    if (config.authApiKey) {
      for (Config.ApiKey k : config.apiKeys) {
        if (k.plain()) {
          log.warn(
              "API key '{}' is given in plain text in LIVING_MAP_API_KEYS; store {}:<sha256 hex>"
                  + " instead (sha256sum of the key)",
              k.name(),
              k.name());
        }
      }
      keys = new ApiKeys(config.apiKeys, config.defaultRoles);
    }
    log.info(
        "auth on: jwt={} apikey={} public_mode={}", jwt != null, keys != null, config.publicMode);
    return new Authenticator(true, config.publicMode, jwt, keys);
  }

  public boolean enabled() {
    return enabled;
  }

  public boolean publicMode() {
    return publicMode;
  }

  /** The principal of {@code request}; a failed future carries a 401 {@link AuthException}. */
  public Future<Principal> authenticate(HttpServerRequest request) {
    if (!enabled) {
      return Future.succeededFuture(Principal.LOCAL);
    }
    try {
      return authenticateChecked(request);
    } catch (AuthException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(AuthException.unauthorized("malformed credentials"));
    }
  }

  private Future<Principal> authenticateChecked(HttpServerRequest request) {
    // Every credential presented is checked, and each must hold: a valid token does not carry a
    // wrong key along with it (nor the reverse). The principal is the first in the order above.
    java.util.List<Future<Principal>> presented = new java.util.ArrayList<>(2);
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization != null) {
      String trimmed = authorization.trim();
      int sp = trimmed.indexOf(' ');
      String scheme = sp < 0 ? trimmed : trimmed.substring(0, sp);
      if (!scheme.toLowerCase(Locale.ROOT).equals("bearer")) {
        throw AuthException.unauthorized("unsupported Authorization scheme (use Bearer)");
      }
      presented.add(bearer(sp < 0 ? "" : trimmed.substring(sp + 1).trim()));
    }
    String key = request.getHeader("X-API-Key");
    if (key != null) {
      if (apiKeys == null) {
        throw AuthException.unauthorized("API keys are not accepted here (LIVING_MAP_AUTH)");
      }
      Optional<Principal> found = apiKeys.find(key.trim());
      if (found.isEmpty()) {
        throw AuthException.unauthorized("invalid API key");
      }
      presented.add(Future.succeededFuture(found.get()));
    }
    if (isWebSocketUpgrade(request)) {
      String query = request.getParam("access_token");
      if (query != null) {
        presented.add(bearer(query.trim()));
      } else {
        subprotocolToken(request).ifPresent(t -> presented.add(bearer(t)));
      }
    }
    if (presented.size() == 1) {
      return presented.get(0);
    }
    if (presented.size() > 1) {
      return Future.all(presented).map(all -> all.<Principal>resultAt(0));
    }
    if (publicMode) {
      return Future.succeededFuture(Principal.ANONYMOUS);
    }
    throw AuthException.unauthorized(
        "credentials required: Authorization: Bearer <token>"
            + (apiKeys != null ? " or X-API-Key" : ""));
  }

  private Future<Principal> bearer(String token) {
    if (jwt == null) {
      throw AuthException.unauthorized("bearer tokens are not accepted here (LIVING_MAP_AUTH)");
    }
    return jwt.verify(token);
  }

  /** Whether {@code request} carries any credential this class reads. */
  public static boolean presentsCredentials(HttpServerRequest request) {
    return request.getHeader(HttpHeaders.AUTHORIZATION) != null
        || request.getHeader("X-API-Key") != null
        || (isWebSocketUpgrade(request)
            && (request.getParam("access_token") != null || subprotocolToken(request).isPresent()));
  }

  /** Whether {@code request} asks for a WebSocket upgrade. */
  public static boolean isWebSocketUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }

  /**
   * The token of the {@code Sec-WebSocket-Protocol: bearer, <token>} convention, if the request
   * uses it. The endpoint must accept with subprotocol {@link #BEARER_SUBPROTOCOL}.
   */
  public static Optional<String> subprotocolToken(HttpServerRequest request) {
    String header = request.getHeader("Sec-WebSocket-Protocol");
    if (header == null) {
      return Optional.empty();
    }
    String[] parts = header.split(",");
    for (int i = 0; i + 1 < parts.length; i++) {
      if (parts[i].trim().equalsIgnoreCase(BEARER_SUBPROTOCOL)) {
        String token = parts[i + 1].trim();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
      }
    }
    return Optional.empty();
  }
}
