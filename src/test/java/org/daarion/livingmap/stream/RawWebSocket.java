package org.daarion.livingmap.stream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A client written by hand on a plain socket: it does the WebSocket handshake and then reads only
 * when told to, so a test can stall it (never read) or send frames the Vert.x client would not.
 */
final class RawWebSocket implements AutoCloseable {
  final Socket socket = new Socket();
  final String status;
  final String headers;

  RawWebSocket(int port, String query, int receiveBuffer) throws IOException {
    this(port, query, receiveBuffer, "");
  }

  /** {@code extraHeaders}: whole header lines, each ending in CRLF (an extension offer, say). */
  RawWebSocket(int port, String query, int receiveBuffer, String extraHeaders) throws IOException {
    socket.setReceiveBufferSize(receiveBuffer);
    socket.connect(new InetSocketAddress("localhost", port), 5000);
    socket.setSoTimeout(10_000);
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET /living-map/stream"
                + (query == null ? "" : "?" + query)
                + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + extraHeaders
                + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
      state =
          (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
              ? state + 1
              : 0;
    }
    headers = head.toString(StandardCharsets.US_ASCII);
    status = headers.isEmpty() ? "" : headers.substring(0, headers.indexOf('\r'));
  }

  /** The body of a refused upgrade (by its content-length). */
  String body() throws IOException {
    int i = headers.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
    int end = headers.indexOf('\r', i);
    int len = Integer.parseInt(headers.substring(i + 15, end).trim());
    return new String(socket.getInputStream().readNBytes(len), StandardCharsets.UTF_8);
  }

  /** Sends one masked frame with the given opcode (1 text, 2 binary, 8 close, 10 pong). */
  void send(int opcode, byte[] payload) throws IOException {
    sendFrame(true, opcode, payload, true);
  }

  /**
   * Sends one frame: {@code fin} false starts or continues a fragmented message (opcode 0 for a
   * continuation); {@code masked} false sends it unmasked, which a server must refuse.
   */
  void sendFrame(boolean fin, int opcode, byte[] payload, boolean masked) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | opcode);
    int n = payload.length;
    int maskBit = masked ? 0x80 : 0;
    if (n < 126) {
      f.write(maskBit | n);
    } else if (n < 65536) {
      f.write(maskBit | 126);
      f.write(n >> 8);
      f.write(n & 0xff);
    } else {
      f.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) n >> (8 * i)) & 0xff);
      }
    }
    if (masked) {
      byte[] mask = {1, 2, 3, 4};
      f.write(mask);
      for (int i = 0; i < n; i++) {
        f.write(payload[i] ^ mask[i % 4]);
      }
    } else {
      f.write(payload);
    }
    socket.getOutputStream().write(f.toByteArray());
    socket.getOutputStream().flush();
  }

  void sendText(String text) throws IOException {
    send(1, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * One message as received: its opcode, payload, the payload length of each of its frames, and
   * whether its first frame had RSV1 set (compressed with permessage-deflate; the payload is then
   * as sent, not inflated).
   */
  record Message(int opcode, byte[] payload, java.util.List<Integer> frames, boolean compressed) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  /**
   * Reads the next text or binary message, joining its fragments; control frames (ping, pong) are
   * skipped, a close frame ends with an {@link IOException}.
   */
  Message readMessage() throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    java.util.List<Integer> frames = new java.util.ArrayList<>();
    int opcode = -1;
    boolean compressed = false;
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        throw new IOException("connection closed");
      }
      int b1 = in.read();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = (in.read() << 8) | in.read();
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | in.read();
        }
      }
      byte[] data = in.readNBytes((int) len);
      int op = b0 & 0x0f;
      if (op == 8) {
        throw new IOException("closed by the server");
      }
      if (op >= 8) {
        continue;
      }
      if (op != 0) {
        opcode = op;
        compressed = (b0 & 0x40) != 0;
      }
      payload.write(data);
      frames.add(data.length);
      if ((b0 & 0x80) != 0) {
        return new Message(opcode, payload.toByteArray(), frames, compressed);
      }
    }
  }

  /** Reads until the server closes the socket; returns the close code seen, or -1. */
  int readUntilClosed() throws IOException {
    InputStream in = socket.getInputStream();
    int code = -1;
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return code;
      }
      int b1 = in.read();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = (in.read() << 8) | in.read();
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | in.read();
        }
      }
      byte[] payload = in.readNBytes((int) len);
      if ((b0 & 0x0f) == 8) {
        code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        return code;
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
