package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;

/** A raw socket read as a browser does: one inflater for the connection's compressed messages. */
final class InflatingSocket {
  private final RawWebSocket ws;
  private final java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);

  InflatingSocket(RawWebSocket ws) {
    this.ws = ws;
  }

  /** The next message as JSON; every message of the stream must arrive compressed. */
  JsonObject next() throws Exception {
    return new JsonObject(io.vertx.core.buffer.Buffer.buffer(inflate(message())));
  }

  /** Events until {@code seq}: each one's compressed bytes, as sent, by seq. */
  java.util.Map<Long, byte[]> eventsUntil(long seq) throws Exception {
    java.util.Map<Long, byte[]> out = new java.util.LinkedHashMap<>();
    long last = -1;
    while (last < seq) {
      RawWebSocket.Message m = message();
      JsonObject f = new JsonObject(io.vertx.core.buffer.Buffer.buffer(inflate(m)));
      assertThat(f.getString("kind")).isEqualTo("event");
      last = f.getLong("seq");
      out.put(last, m.payload());
    }
    return out;
  }

  RawWebSocket.Message message() throws Exception {
    RawWebSocket.Message m = ws.readMessage();
    assertThat(m.opcode()).isEqualTo(1);
    assertThat(m.compressed()).as("RSV1 on a %d-byte message", m.payload().length).isTrue();
    return m;
  }

  /** RFC 7692 7.2.2: the message's bytes, then the four bytes the sender removed. */
  byte[] inflate(RawWebSocket.Message m) throws Exception {
    byte[] in = java.util.Arrays.copyOf(m.payload(), m.payload().length + 4);
    in[in.length - 2] = (byte) 0xff;
    in[in.length - 1] = (byte) 0xff;
    inflater.setInput(in);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    int n;
    while ((n = inflater.inflate(buf)) > 0 || !inflater.needsInput()) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }
}
