package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class FrameCacheTest {

  private static Buffer bytes(int n) {
    return Buffer.buffer(new byte[n]);
  }

  @Test
  void boundedByBytesEvictingTheLeastRecentlyUsed() {
    FrameCache cache = new FrameCache(32, 1000);
    cache.put("a", bytes(400), "g");
    cache.put("b", bytes(400), "g");
    assertThat(cache.get("a")).isNotNull(); // a is now the most recently used
    cache.put("c", bytes(400), "g");
    assertThat(cache.get("b")).isNull();
    assertThat(cache.get("a")).isNotNull();
    assertThat(cache.get("c")).isNotNull();
    assertThat(cache.bytes()).isEqualTo(800);
  }

  @Test
  void boundedByCount() {
    FrameCache cache = new FrameCache(3, Long.MAX_VALUE);
    for (int i = 0; i < 10; i++) {
      cache.put("k" + i, bytes(10), "g");
    }
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.bytes()).isEqualTo(30);
    assertThat(cache.get("k9")).isNotNull();
    assertThat(cache.get("k6")).isNull();
  }

  @Test
  void theNewestFrameStaysAloneEvenOverTheBound() {
    FrameCache cache = new FrameCache(32, 1000);
    cache.put("a", bytes(100), "g");
    cache.put("huge", bytes(5000), "g");
    assertThat(cache.size()).isEqualTo(1);
    assertThat(cache.get("huge")).isNotNull();
    assertThat(cache.bytes()).isEqualTo(5000);
  }

  @Test
  void replacingAKeyCountsOnlyTheNewBytes() {
    FrameCache cache = new FrameCache(32, 1000);
    cache.put("a", bytes(300), "g");
    cache.put("a", bytes(200), "g");
    assertThat(cache.bytes()).isEqualTo(200);
    assertThat(cache.size()).isEqualTo(1);
  }

  /**
   * A frame of a state version two versions back is never asked for again (a connect gets the
   * newest snapshot), and it kept that version's bytes alive: dropped as soon as a newer version's
   * frame is put, whatever room is left.
   */
  @Test
  void keepsOnlyTheTwoNewestGenerations() {
    FrameCache cache = new FrameCache(32, Long.MAX_VALUE);
    cache.put("v1/plain", bytes(100), "e/1");
    cache.put("v1/deflate", bytes(10), "e/1");
    cache.put("v2/plain", bytes(100), "e/2");
    assertThat(cache.get("v1/plain")).as("the previous version stays").isNotNull();
    cache.put("v3/plain", bytes(100), "e/3");
    assertThat(cache.get("v1/plain")).isNull();
    assertThat(cache.get("v1/deflate")).isNull();
    assertThat(cache.get("v2/plain")).isNotNull();
    assertThat(cache.get("v3/plain")).isNotNull();
    assertThat(cache.bytes()).isEqualTo(200);
    // A late connect of the previous version does not push the newest out.
    cache.put("v2/deflate", bytes(10), "e/2");
    assertThat(cache.get("v3/plain")).isNotNull();
    assertThat(cache.size()).isEqualTo(3);
    // A new epoch starts its versions again: still the newest two by arrival.
    cache.put("x1/plain", bytes(100), "x/1");
    assertThat(cache.get("v2/plain")).isNull();
    assertThat(cache.get("v3/plain")).isNotNull();
    assertThat(cache.bytes()).isEqualTo(200);
  }
}
