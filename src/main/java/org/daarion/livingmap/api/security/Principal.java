package org.daarion.livingmap.api.security;

import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Set;

/**
 * Who is calling, as established by {@link Authenticator}: put into every routing context by {@link
 * AuthHandler} under {@link #CONTEXT_KEY}, and handed to the WebSocket endpoint by {@link
 * Authenticator#authenticate}. Immutable.
 *
 * @param subject the token's {@code sub}, the API key's name, {@code anonymous}, or {@code local}
 *     when auth is off
 * @param roles roles granted (the token's {@code roles} plus configured default roles)
 * @param expiresAt when the credentials stop being valid (the token's {@code exp}); {@code null}
 *     for API keys, anonymous callers and auth off. A WebSocket must be closed then: see {@link
 *     SocketExpiry}
 * @param method how the caller was authenticated
 */
public record Principal(String subject, Set<String> roles, Instant expiresAt, Method method) {
  /** Key of the principal in {@link RoutingContext#get}. */
  public static final String CONTEXT_KEY = "living-map.principal";

  /** Role needed to read anything that is not public. */
  public static final String READ = "living-map:read";

  /** Role needed for operational endpoints (forcing a snapshot or a poll, writes). */
  public static final String ADMIN = "living-map:admin";

  /** How a principal was established. */
  public enum Method {
    /** {@code LIVING_MAP_AUTH=off}: every caller is trusted with every role. */
    OFF,
    JWT,
    API_KEY,
    /** No credentials, admitted by {@code LIVING_MAP_PUBLIC_MODE} to the public routes only. */
    ANONYMOUS
  }

  public Principal {
    roles = Set.copyOf(roles);
  }

  /** The principal of every request when auth is off: all roles. */
  public static final Principal LOCAL =
      new Principal("local", Set.of(READ, ADMIN), null, Method.OFF);

  /** An unauthenticated caller in public mode: no roles. */
  public static final Principal ANONYMOUS =
      new Principal("anonymous", Set.of(), null, Method.ANONYMOUS);

  /** Whether this principal holds {@code role}; {@link #ADMIN} implies {@link #READ}. */
  public boolean hasRole(String role) {
    return roles.contains(role) || (READ.equals(role) && roles.contains(ADMIN));
  }

  public boolean isAnonymous() {
    return method == Method.ANONYMOUS;
  }

  /** Whether the credentials have expired at {@code now} (never for keys and auth off). */
  public boolean expiredAt(Instant now) {
    return expiresAt != null && !now.isBefore(expiresAt);
  }

  /**
   * Identity for rate limits and socket caps: {@code sub:<subject>} or {@code key:<name>}; {@code
   * null} for anonymous callers and auth off, which are told apart by address instead.
   */
  public String clientKey() {
    return switch (method) {
      case JWT -> "sub:" + subject;
      case API_KEY -> "key:" + subject;
      default -> null;
    };
  }

  /** The principal {@link AuthHandler} put into {@code ctx}, or {@code null} if none ran. */
  public static Principal of(RoutingContext ctx) {
    return ctx.get(CONTEXT_KEY);
  }
}
