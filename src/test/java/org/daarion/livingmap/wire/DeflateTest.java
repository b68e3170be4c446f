package org.daarion.livingmap.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

class DeflateTest {
  private static final Random RANDOM = new Random(42);

  @Test
  void gzipRoundTripsHeapDirectCompositeEmptyAndIncompressibleInput() throws Exception {
    for (byte[] data : samples()) {
      for (Buffer in : shapes(data)) {
        Buffer gz = Deflate.gzip(in, 6);
        assertThat(VertxInternals.isDirect(gz)).isTrue();
        try (GZIPInputStream z = new GZIPInputStream(new ByteArrayInputStream(gz.getBytes()))) {
          assertThat(z.readAllBytes()).isEqualTo(data);
        }
      }
    }
  }

  @Test
  void messageInflatesBackOnceTheTailIsRestoredAndEndsWithoutIt() throws Exception {
    for (byte[] data : samples()) {
      for (Buffer in : shapes(data)) {
        byte[] m = Deflate.message(in, 6).getBytes();
        assertThat(m.length < 4 || !endsWithSyncTail(m)).isTrue();
        Inflater inf = new Inflater(true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        inf.setInput(concat(m, new byte[] {0, 0, (byte) 0xff, (byte) 0xff}));
        byte[] chunk = new byte[8192];
        int n;
        while ((n = inf.inflate(chunk)) > 0) {
          out.write(chunk, 0, n);
        }
        inf.end();
        assertThat(out.toByteArray()).isEqualTo(data);
      }
    }
  }

  private static boolean endsWithSyncTail(byte[] m) {
    int l = m.length;
    return m[l - 4] == 0 && m[l - 3] == 0 && m[l - 2] == (byte) 0xff && m[l - 1] == (byte) 0xff;
  }

  private static byte[][] samples() {
    byte[] json = "{\"id\":\"node:1\",\"status\":\"online\"},".repeat(60_000).getBytes();
    byte[] noise = new byte[700_000]; // incompressible: output outgrows the first guess
    RANDOM.nextBytes(noise);
    return new byte[][] {new byte[0], "x".getBytes(), json, noise};
  }

  private static Buffer[] shapes(byte[] data) {
    int half = data.length / 2;
    byte[] a = java.util.Arrays.copyOfRange(data, 0, half);
    byte[] b = java.util.Arrays.copyOfRange(data, half, data.length);
    return new Buffer[] {
      Buffer.buffer(data),
      VertxInternals.offHeap(Buffer.buffer(data)),
      VertxInternals.buffer(
          Unpooled.wrappedUnmodifiableBuffer(
              VertxInternals.byteBuf(VertxInternals.offHeap(Buffer.buffer(a))),
              VertxInternals.byteBuf(VertxInternals.offHeap(Buffer.buffer(b)))))
    };
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
