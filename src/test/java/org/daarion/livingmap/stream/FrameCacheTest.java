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
    cache.put("a", bytes(400));
    cache.put("b", bytes(400));
    assertThat(cache.get("a")).isNotNull(); // a is now the most recently used
    cache.put("c", bytes(400));
    assertThat(cache.get("b")).isNull();
    assertThat(cache.get("a")).isNotNull();
    assertThat(cache.get("c")).isNotNull();
    assertThat(cache.bytes()).isEqualTo(800);
  }

  @Test
  void boundedByCount() {
    FrameCache cache = new FrameCache(3, Long.MAX_VALUE);
    for (int i = 0; i < 10; i++) {
      cache.put("k" + i, bytes(10));
    }
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.bytes()).isEqualTo(30);
    assertThat(cache.get("k9")).isNotNull();
    assertThat(cache.get("k6")).isNull();
  }

  @Test
  void theNewestFrameStaysAloneEvenOverTheBound() {
    FrameCache cache = new FrameCache(32, 1000);
    cache.put("a", bytes(100));
    cache.put("huge", bytes(5000));
    assertThat(cache.size()).isEqualTo(1);
    assertThat(cache.get("huge")).isNotNull();
    assertThat(cache.bytes()).isEqualTo(5000);
  }

  @Test
  void replacingAKeyCountsOnlyTheNewBytes() {
    FrameCache cache = new FrameCache(32, 1000);
    cache.put("a", bytes(300));
    cache.put("a", bytes(200));
    assertThat(cache.bytes()).isEqualTo(200);
    assertThat(cache.size()).isEqualTo(1);
  }
}
