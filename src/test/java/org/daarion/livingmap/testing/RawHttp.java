package org.daarion.livingmap.testing;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 on a plain socket, for requests no HTTP client will send: malformed escapes, NUL bytes,
 * 20 KB request lines. Each request is one connection ({@code Connection: close}).
 */
public final class RawHttp {
  private final int port;

  public RawHttp(int port) {
    this.port = port;
  }

  /** The answer; {@code status} is -1 when the server closed the connection without one. */
  public record Answer(int status, String contentType, String body) {
    public boolean jsonBody() {
      if (contentType == null || !contentType.toLowerCase(Locale.ROOT).contains("json")) {
        return false;
      }
      try {
        new JsonObject(body);
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    }

    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** {@code method target} with the given extra header lines ("Name: value"). */
  public Answer send(String method, String target, String... headers) {
    StringBuilder req = new StringBuilder();
    req.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    req.append("Host: 127.0.0.1:").append(port).append("\r\n");
    for (String h : headers) {
      req.append(h).append("\r\n");
    }
    req.append("Connection: close\r\n\r\n");
    return sendRaw(req.toString().getBytes(StandardCharsets.ISO_8859_1));
  }

  public Answer sendRaw(byte[] request) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      return parse(readAll(s.getInputStream()));
    } catch (SocketException reset) {
      return new Answer(-1, null, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    try {
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
      }
    } catch (SocketException reset) {
      // What arrived before a reset is the answer.
    }
    return out.toByteArray();
  }

  private static Answer parse(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8);
    if (!text.startsWith("HTTP/1.1 ") && !text.startsWith("HTTP/1.0 ")) {
      return new Answer(-1, null, text);
    }
    int status = Integer.parseInt(text.substring(9, 12));
    int end = text.indexOf("\r\n\r\n");
    String head = end < 0 ? text : text.substring(0, end);
    String body = end < 0 ? "" : text.substring(end + 4);
    String type = null;
    boolean chunked = false;
    for (String line : head.split("\r\n")) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-type:")) {
        type = line.substring(13).trim();
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    return new Answer(status, type, chunked ? dechunk(body) : body);
  }

  private static String dechunk(String body) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < body.length()) {
      int nl = body.indexOf("\r\n", i);
      if (nl < 0) {
        break;
      }
      int size = Integer.parseInt(body.substring(i, nl).split(";")[0].trim(), 16);
      if (size == 0) {
        break;
      }
      out.append(body, nl + 2, Math.min(body.length(), nl + 2 + size));
      i = nl + 2 + size + 2;
    }
    return out.toString();
  }
}
