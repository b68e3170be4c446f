package org.daarion.livingmap.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * Messages compressed one at a time must each stand alone: a client reads them all with one
 * inflater that keeps its window (context takeover), interleaved with messages another deflater
 * made (the prepared snapshot), whatever their sizes and contents.
 */
class MessageDeflaterTest {
  private final Random random = new Random(20261206);

  @Test
  void everyMessageDecodesInOneInflaterWhateverCameBefore() throws Exception {
    MessageDeflater d = new MessageDeflater(6);
    Inflater client = new Inflater(true);
    List<byte[]> sent = new ArrayList<>();
    // Empty, tiny, JSON-like, incompressible, around the 64 KiB input chunk, and megabytes.
    int[] sizes = {0, 1, 125, 126, 400, 65_535, 65_536, 65_537, 200_000, 3_000_000};
    for (int round = 0; round < 3; round++) {
      for (int size : sizes) {
        byte[] plain = round == 1 ? noise(size) : json(size);
        sent.add(plain);
        byte[] frame = d.frame(Buffer.buffer(plain));
        assertThat(frame[0] & 0xff).as("FIN, RSV1, text").isEqualTo(0xC1);
        byte[] payload = payloadOf(frame);
        assertThat(inflate(client, payload)).as("%d bytes, round %d", size, round).isEqualTo(plain);
        // A message from another deflater in between, as the prepared snapshot is.
        byte[] other = json(5_000);
        assertThat(inflate(client, bytes(Deflate.message(Buffer.buffer(other), 6))))
            .isEqualTo(other);
        byte[] unframed = bytes(d.message(Buffer.buffer(plain)));
        assertThat(inflate(client, unframed)).isEqualTo(plain);
      }
    }
    assertThat(sent).hasSize(3 * sizes.length);
    d.end();
  }

  @Test
  void theSameMessageIsTheSameBytesEveryTime() {
    MessageDeflater d = new MessageDeflater(6);
    byte[] m = json(2_000);
    byte[] first = d.frame(Buffer.buffer(m));
    d.frame(Buffer.buffer(json(70_000)));
    assertThat(d.frame(Buffer.buffer(m))).isEqualTo(first);
    d.end();
  }

  /** The payload of one unmasked frame, checking its header's length against the bytes. */
  private static byte[] payloadOf(byte[] frame) {
    int len = frame[1] & 0x7f;
    int off = 2;
    long n = len;
    if (len == 126) {
      n = ((frame[2] & 0xff) << 8) | (frame[3] & 0xff);
      off = 4;
      assertThat(n).isGreaterThanOrEqualTo(126);
    } else if (len == 127) {
      n = 0;
      for (int i = 0; i < 8; i++) {
        n = (n << 8) | (frame[2 + i] & 0xff);
      }
      off = 10;
      assertThat(n).isGreaterThanOrEqualTo(65_536);
    }
    assertThat(frame.length - off).isEqualTo(n);
    return Arrays.copyOfRange(frame, off, frame.length);
  }

  private static byte[] inflate(Inflater in, byte[] payload) throws Exception {
    byte[] all = Arrays.copyOf(payload, payload.length + 4);
    all[all.length - 2] = (byte) 0xff;
    all[all.length - 1] = (byte) 0xff;
    in.setInput(all);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    int n;
    while ((n = in.inflate(buf)) > 0 || !in.needsInput()) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(Buffer b) {
    return b.getBytes();
  }

  private byte[] json(int size) {
    StringBuilder s = new StringBuilder(size + 64);
    while (s.length() < size) {
      s.append("{\"kind\":\"event\",\"seq\":")
          .append(random.nextInt(1_000_000))
          .append(",\"cpu\":")
          .append(random.nextDouble())
          .append('}');
    }
    return s.substring(0, size).getBytes(StandardCharsets.UTF_8);
  }

  private byte[] noise(int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }
}
