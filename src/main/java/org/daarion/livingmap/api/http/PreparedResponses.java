package org.daarion.livingmap.api.http;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.daarion.livingmap.state.PreparedSnapshot;

/**
 * Answers a request with prepared snapshot bytes ({@link PreparedSnapshot.Encoded}), encoding
 * nothing on the request path: gzip bytes to callers that accept gzip (the transport's own
 * compressor leaves a response that already has a {@code Content-Encoding} alone), identity bytes
 * to the others, and 304 to a conditional request naming either encoding's ETag.
 *
 * <p>{@code ?wire=gzip} sends the gzip bytes as a file ({@code Content-Type: application/gzip}, no
 * {@code Content-Encoding}), for a page that inflates them itself ({@code DecompressionStream}):
 * Chromium moves a decoded body from its network process to the page in pieces, about 0.3 s for the
 * 8.9 MB snapshot at 100x on a quiet machine and 0.7 s during a page load, against 0.55 MB here.
 */
public final class PreparedResponses {
  /** The query parameter that asks for the gzip bytes as a file. */
  public static final String WIRE = "wire";

  private PreparedResponses() {}

  public static void send(RoutingContext ctx, PreparedSnapshot.Encoded e) {
    HttpServerResponse res = ctx.response();
    if (res.ended() || res.closed()) {
      return;
    }
    String wire = ctx.queryParams().get(WIRE);
    if (wire != null && !wire.equals("gzip")) {
      Responses.badParameter(
          ctx, new BadParameter(WIRE, "wire must be gzip (the gzip bytes as a file)"));
      return;
    }
    boolean file = wire != null;
    boolean gzip = file || acceptsGzip(ctx.request().getHeader("Accept-Encoding"));
    res.putHeader("ETag", gzip ? e.gzipEtag() : e.etag())
        .putHeader("Cache-Control", "no-cache")
        .putHeader("Vary", "Accept-Encoding");
    if (e.matches(ctx.request().getHeader("If-None-Match"))) {
      res.setStatusCode(304).end();
      return;
    }
    if (file) {
      // "identity": the bytes are the file itself; the transport's compressor leaves them alone
      res.setStatusCode(200)
          .putHeader("Content-Type", "application/gzip")
          .putHeader("Content-Encoding", "identity")
          .end(e.gzip());
      return;
    }
    res.setStatusCode(200).putHeader("Content-Type", "application/json; charset=utf-8");
    if (gzip) {
      res.putHeader("Content-Encoding", "gzip").end(e.gzip());
    } else {
      // "identity" tells the transport's compressor not to compress these bytes per response.
      res.putHeader("Content-Encoding", "identity");
      if (e.identityReady()) {
        res.end(e.identity());
        return;
      }
      // Inflated on the snapshot executor, not on this event loop.
      Context context = ctx.vertx().getOrCreateContext();
      e.identityAsync()
          .whenComplete(
              (bytes, err) ->
                  context.runOnContext(
                      v -> {
                        if (res.ended() || res.closed()) {
                          return;
                        }
                        if (err != null) {
                          ctx.fail(err);
                        } else {
                          res.end(bytes);
                        }
                      }));
    }
  }

  /** Whether {@code Accept-Encoding} accepts gzip (a {@code q=0} refuses it). */
  public static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.split(",")) {
      String[] p = part.trim().split(";");
      String coding = p[0].trim();
      if (!coding.equalsIgnoreCase("gzip") && !coding.equals("*")) {
        continue;
      }
      boolean refused = false;
      for (int i = 1; i < p.length; i++) {
        String q = p[i].trim().replace(" ", "");
        if (q.startsWith("q=")) {
          try {
            refused = Double.parseDouble(q.substring(2)) <= 0;
          } catch (NumberFormatException ex) {
            refused = true;
          }
        }
      }
      if (!refused) {
        return true;
      }
    }
    return false;
  }
}
