package org.daarion.livingmap.api.security;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * The first gate of every request: establishes the {@link Principal} with the {@link
 * Authenticator}, puts it into the routing context under {@link Principal#CONTEXT_KEY}, and
 * enforces the {@link AccessPolicy}: 401 JSON (with {@code WWW-Authenticate: Bearer}) for missing
 * or bad credentials, 403 JSON for a missing role. Continues on the request's own event loop even
 * when the key set had to be fetched.
 */
public final class AuthHandler implements Handler<RoutingContext> {
  private final Authenticator authenticator;
  private final AccessPolicy policy;
  private final Handler<String> onFailure;

  /**
   * @param onFailure told the error code of each refusal ({@code unauthorized} or {@code
   *     forbidden}), for a metric
   */
  public AuthHandler(Authenticator authenticator, AccessPolicy policy, Handler<String> onFailure) {
    this.authenticator = authenticator;
    this.policy = policy;
    this.onFailure = onFailure;
  }

  @Override
  public void handle(RoutingContext ctx) {
    AccessPolicy.Access access = policy.access(ctx.request().method(), ctx.normalizedPath());
    if (!authenticator.enabled()) {
      ctx.put(Principal.CONTEXT_KEY, Principal.LOCAL);
      ctx.next();
      return;
    }
    if (access == AccessPolicy.Access.OPEN) {
      ctx.put(Principal.CONTEXT_KEY, Principal.ANONYMOUS);
      ctx.next();
      return;
    }
    if (access == AccessPolicy.Access.PUBLIC
        && "/living-map/health".equals(ctx.normalizedPath())
        && !Authenticator.presentsCredentials(ctx.request())) {
      // Gateways and compose health checks probe it without credentials: they get the
      // original's minimal answer (HealthRoutes keeps the checks for callers with a role).
      ctx.put(Principal.CONTEXT_KEY, Principal.ANONYMOUS);
      ctx.next();
      return;
    }
    Context context = Vertx.currentContext();
    Future<Principal> result = authenticator.authenticate(ctx.request());
    result.onComplete(
        ar -> {
          if (context == null || Vertx.currentContext() == context) {
            decide(ctx, access, ar.succeeded() ? ar.result() : null, ar.cause());
          } else {
            context.runOnContext(
                v -> decide(ctx, access, ar.succeeded() ? ar.result() : null, ar.cause()));
          }
        });
  }

  private void decide(RoutingContext ctx, AccessPolicy.Access access, Principal p, Throwable err) {
    if (err != null) {
      refuse(
          ctx,
          err instanceof AuthException e ? e : AuthException.unauthorized("invalid credentials"));
      return;
    }
    if (p.isAnonymous() && access != AccessPolicy.Access.PUBLIC) {
      refuse(ctx, AuthException.unauthorized("credentials required for this route"));
      return;
    }
    if (!p.isAnonymous()) {
      String role = access == AccessPolicy.Access.ADMIN ? Principal.ADMIN : Principal.READ;
      if (!p.hasRole(role)) {
        refuse(ctx, AuthException.forbidden("role " + role + " required"));
        return;
      }
    }
    ctx.put(Principal.CONTEXT_KEY, p);
    ctx.next();
  }

  private void refuse(RoutingContext ctx, AuthException e) {
    onFailure.handle(e.code());
    Errors.auth(ctx, e);
  }

  /**
   * A handler that lets the request on only if its principal holds {@code role} (403 otherwise, 401
   * without a principal). Mount it before a route's own handler: {@code
   * router.post("/living-map/admin/poll").handler(AuthHandler.requireRole(Principal.ADMIN))
   * .handler(...)}. With auth off every principal holds every role.
   */
  public static Handler<RoutingContext> requireRole(String role) {
    return ctx -> {
      Principal p = Principal.of(ctx);
      if (p == null || p.isAnonymous()) {
        Errors.auth(ctx, AuthException.unauthorized("credentials required for this route"));
      } else if (!p.hasRole(role)) {
        Errors.auth(ctx, AuthException.forbidden("role " + role + " required"));
      } else {
        ctx.next();
      }
    };
  }
}
