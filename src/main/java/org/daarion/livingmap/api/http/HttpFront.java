package org.daarion.livingmap.api.http;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * What {@link ApiServer} puts in front of every route: limits on the server options and the first
 * handlers on the router. Implemented by {@code api.security.Security}; the kit knows only this
 * interface, so security depends on the kit and never the other way round.
 */
public interface HttpFront extends AutoCloseable {
  /** {@code options} with the front's header, request-line and idle limits applied. */
  HttpServerOptions applyLimits(HttpServerOptions options);

  /** Installs the front handlers on {@code router}, before any route group is mounted. */
  void installFront(Router router);

  /**
   * The Content-Security-Policy for a page served from {@code host} that also allows the script
   * sources {@code scriptSrc} (the docs page's nonce); null {@code scriptSrc}: none extra.
   */
  String contentSecurityPolicy(String host, String scriptSrc);

  /** Stops the front's timers; called once when the server stops. */
  @Override
  void close();
}
