package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.daarion.livingmap.event.Event;
import org.junit.jupiter.api.Test;

/**
 * One event loop's compressed frames: each frame compressed once however many sockets ask, large
 * events included (a hostile publisher's 1 MiB payloads must not be compressed once per socket),
 * and never more than the byte bound held.
 */
class DeflatedFramesTest {
  private final EventFrameEncoder encoder = new EventFrameEncoder();
  private final Random random = new Random(20261206);
  private final StreamStats stats = new StreamStats();
  private final DeflatedFrames frames = new DeflatedFrames(stats);

  @Test
  void aFrameIsCompressedOnceForAllItsSockets() {
    Frame f = frame(1, 400);
    byte[] first = frames.wire(f);
    for (int socket = 0; socket < 100; socket++) {
      assertThat(frames.wire(f)).isSameAs(first);
    }
    assertThat(stats.framesDeflated()).isEqualTo(1);
  }

  @Test
  void largeEventsToo_andTheBoundHolds() {
    List<Frame> big = new ArrayList<>();
    for (int seq = 1; seq <= 12; seq++) {
      big.add(frame(seq, 1 << 20)); // LIVING_MAP_MAX_EVENT_BYTES' default, incompressible
    }
    for (Frame f : big) {
      for (int socket = 0; socket < 20; socket++) {
        frames.wire(f);
        assertThat(frames.bytes()).isLessThanOrEqualTo(DeflatedFrames.MAX_BYTES);
      }
    }
    assertThat(stats.framesDeflated()).isEqualTo(big.size());
    // The newest stay; the oldest made room.
    long before = stats.framesDeflated();
    frames.wire(big.get(big.size() - 1));
    assertThat(stats.framesDeflated()).isEqualTo(before);
    frames.wire(big.get(0));
    assertThat(stats.framesDeflated()).isEqualTo(before + 1);
  }

  @Test
  void aFrameLargerThanTheWholeCacheIsNotKept() {
    Frame small = frame(1, 300);
    frames.wire(small);
    long held = frames.bytes();
    Frame huge = frame(2, 5 << 20);
    frames.wire(huge);
    frames.wire(huge);
    assertThat(stats.framesDeflated()).isEqualTo(3);
    assertThat(frames.bytes()).isEqualTo(held);
    frames.wire(small);
    assertThat(stats.framesDeflated()).isEqualTo(3);
  }

  @Test
  void aFrameReplacedInItsSlotIsNotEvictedInsteadOfItsSuccessor() {
    // seq 1 and seq 1 + SLOTS share a slot: b replaces a, and a's turn to be evicted comes while
    // b is still among the newest (two ~1.8 MB entries fill the bound; the third evicts).
    Frame a = frame(1, 1_000);
    frames.wire(a);
    Frame f2 = frame(2, 1 << 20);
    frames.wire(f2);
    Frame b = frame(1 + DeflatedFrames.SLOTS, 1_000);
    frames.wire(b);
    frames.wire(frame(3, 1 << 20));
    frames.wire(frame(4, 1 << 20));
    long before = stats.framesDeflated();
    frames.wire(b);
    assertThat(stats.framesDeflated()).as("b still kept").isEqualTo(before);
    frames.wire(f2);
    assertThat(stats.framesDeflated()).as("seq 2, the oldest, made room").isEqualTo(before + 1);
    assertThat(frames.bytes()).isLessThanOrEqualTo(DeflatedFrames.MAX_BYTES);
  }

  private Frame frame(long seq, int payloadChars) {
    StringBuilder s = new StringBuilder(payloadChars);
    for (int i = 0; i < payloadChars; i++) {
      s.append((char) ('A' + random.nextInt(58)));
    }
    String text = s.toString().replace('\\', 'x').replace('`', 'y');
    JsonObject p = new JsonObject().put("blob", text);
    Event e =
        new Event(seq, "e", Instant.EPOCH, "city.event.x", null, null, "city", p, null, null, null);
    return encoder.frame(e, -1);
  }
}
