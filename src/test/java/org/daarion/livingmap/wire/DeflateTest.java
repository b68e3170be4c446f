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
        assertThat(in.getBytes()).isEqualTo(data); // the caller's bytes are not freed
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
        assertThat(in.getBytes()).isEqualTo(data);
        assertThat(m.length < 4 || !endsWithSyncTail(m)).isTrue();
        assertThat(inflateMessage(m)).isEqualTo(data);
      }
    }
  }

  /**
   * One compression serves both encodings: gzip splices the sync-flushed body between its header, a
   * final empty block and its trailer; a permessage-deflate message splices it between a head and a
   * tail compressed on their own; and the body inflates back to the input.
   */
  @Test
  void compressedBytesAreSplicedIntoGzipAndMessagesAndInflateBack() throws Exception {
    byte[] head = "{\"kind\":\"snapshot\",\"seq\":7,\"data\":".getBytes();
    byte[] tail = "}".getBytes();
    for (byte[] data : samples()) {
      for (Buffer in : shapes(data)) {
        Deflate.Compressed c = Deflate.compress(in, 6);
        assertThat(c.length()).isEqualTo(data.length);
        assertThat(in.getBytes()).isEqualTo(data);
        try (GZIPInputStream z =
            new GZIPInputStream(new ByteArrayInputStream(Deflate.gzip(c).getBytes()))) {
          assertThat(z.readAllBytes()).isEqualTo(data); // also checks the CRC and length
        }
        byte[] m = Deflate.message(head, c, tail, 6).getBytes();
        assertThat(endsWithSyncTail(m)).isFalse();
        assertThat(inflateMessage(m)).isEqualTo(concat(concat(head, data), tail));
        assertThat(Deflate.inflate(c).getBytes()).isEqualTo(data);
      }
    }
  }

  /**
   * The scratch of a compression (a heap input's copy outside the heap, outgrown output buffers,
   * the output before its exact copy) is freed when the call returns, not when the GC finds it:
   * only the results stay reserved.
   */
  @Test
  void scratchOutsideTheHeapIsFreedWhenTheCallReturns() {
    byte[] noise = new byte[700_000];
    RANDOM.nextBytes(noise);
    Buffer heap = Buffer.buffer(noise);
    java.util.List<Buffer> kept = new java.util.ArrayList<>();
    long before = directBytesUsed();
    long results = 0;
    for (int i = 0; i < 20; i++) {
      Buffer gz = Deflate.gzip(heap, 1);
      Buffer m = Deflate.message(heap, 1);
      kept.add(gz);
      kept.add(m);
      results += gz.length() + m.length();
    }
    // Without the frees: 20 x 2 x (700 KB copy + 1.4 MB of outgrown output) stay reserved.
    assertThat(directBytesUsed() - before).isLessThan(results + 4L * 1024 * 1024);
    assertThat(kept).hasSize(40);
  }

  @Test
  void growKeepsTheBytesWritten() {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4);
    b.put(new byte[] {1, 2, 3});
    java.nio.ByteBuffer g = Scratch.grow(b, 16);
    assertThat(g.capacity()).isEqualTo(16);
    assertThat(g.position()).isEqualTo(3);
    g.flip();
    assertThat(new byte[] {g.get(), g.get(), g.get()}).containsExactly(1, 2, 3);
    Scratch.free(g);
  }

  private static long directBytesUsed() {
    return java.lang.management.ManagementFactory.getPlatformMXBeans(
            java.lang.management.BufferPoolMXBean.class)
        .stream()
        .filter(p -> p.getName().equals("direct"))
        .mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed)
        .sum();
  }

  /** As a permessage-deflate receiver: the sync tail restored, then inflated. */
  private static byte[] inflateMessage(byte[] m) throws Exception {
    Inflater inf = new Inflater(true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    inf.setInput(concat(m, new byte[] {0, 0, (byte) 0xff, (byte) 0xff}));
    byte[] chunk = new byte[8192];
    int n;
    while ((n = inf.inflate(chunk)) > 0) {
      out.write(chunk, 0, n);
    }
    inf.end();
    return out.toByteArray();
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
