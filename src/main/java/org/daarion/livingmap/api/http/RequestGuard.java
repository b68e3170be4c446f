package org.daarion.livingmap.api.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The first handler of every request: refuses, with a 400 in the API's JSON error shape, a path or
 * query string that cannot be decoded ({@code %zz}, a lone {@code %}, bytes that are not UTF-8) or
 * that decodes to a control character such as NUL. Without it such a request failed later, inside
 * whichever route decoded the parameter first, as a 500 with a stack trace in the log, or reached
 * PostgreSQL, which refuses NUL in text with its own error. Runs on the event loop; no I/O.
 */
final class RequestGuard implements Handler<RoutingContext> {
  private final BadInput badInput;

  RequestGuard(BadInput badInput) {
    this.badInput = badInput;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String uri = ctx.request().uri();
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    String query = q < 0 ? null : uri.substring(q + 1);
    String problem = problem(path);
    if (problem != null) {
      refuse(ctx, "malformed_path", "the path " + problem);
      return;
    }
    if (query != null) {
      problem = problem(query);
      if (problem != null) {
        refuse(ctx, "malformed_query", "the query string " + problem);
        return;
      }
    }
    ctx.next();
  }

  private void refuse(RoutingContext ctx, String kind, String detail) {
    badInput.note(kind, detail);
    Responses.json(ctx, 400, Responses.error(kind, detail));
  }

  /** What is wrong with a raw (still escaped) path or query string, or null. */
  static String problem(String raw) {
    // A query's '+' (space) and separators are printable as they are: the same check holds.
    byte[] out = new byte[raw.length()];
    int n = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return "has a % escape without two hex digits at character " + i;
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return "has a malformed % escape at character " + i;
        }
        out[n++] = (byte) (hi * 16 + lo);
        i += 2;
      } else if (c > 0x7f) {
        // Vert.x hands the request line over as ISO-8859-1; raw non-ASCII is refused by the
        // HTTP codec already, so this is only reached through unusual proxies.
        return "has a character that is not escaped at character " + i;
      } else {
        out[n++] = (byte) c;
      }
    }
    String decoded;
    try {
      decoded =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(out, 0, n))
              .toString();
    } catch (CharacterCodingException e) {
      return "decodes to bytes that are not UTF-8";
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return "decodes to a control character (U+"
            + String.format("%04X", (int) c)
            + ") at character "
            + i;
      }
    }
    return null;
  }
}
