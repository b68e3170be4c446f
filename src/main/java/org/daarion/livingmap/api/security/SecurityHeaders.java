package org.daarion.livingmap.api.security;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * The usual protective headers on every answer, UI and API: no MIME sniffing, no framing, no
 * referrer, and a Content-Security-Policy for the Vite-built React UI: scripts, styles, fonts and
 * data only from this origin (inline styles allowed, as React sets style attributes), images also
 * from data:/blob: (canvas exports), and connections to this origin over HTTP and ws/wss (named
 * explicitly from the Host header, since older browsers do not cover ws under 'self'). A route may
 * replace the CSP before the head is written (the docs page adds a script nonce).
 */
public final class SecurityHeaders implements Handler<RoutingContext> {
  private static final Pattern SAFE_HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,255}");

  /** The CSP with {@code connect-src} for {@code host}; {@code scriptSrc} extra sources. */
  public static String csp(String host, String scriptSrc) {
    String connect = "'self'";
    if (host != null && SAFE_HOST.matcher(host).matches()) {
      connect += " ws://" + host + " wss://" + host;
    }
    return "default-src 'self'; script-src 'self'"
        + (scriptSrc == null ? "" : " " + scriptSrc)
        + "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:;"
        + " connect-src "
        + connect
        + "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
  }

  @Override
  public void handle(RoutingContext ctx) {
    MultiMap h = ctx.response().headers();
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Content-Security-Policy", csp(ctx.request().getHeader("Host"), null));
    ctx.next();
  }
}
