package org.daarion.livingmap.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Escaped JSON is ASCII and reads back as the same value, whatever the strings hold. */
class JsonAsciiTest {
  @Property(tries = 300)
  void anyStringReadsBackTheSame(@ForAll String key, @ForAll String value) {
    JsonObject o = new JsonObject().put(key, value).put("n", 1.5).put("k\u00e9y", "\ud83d\ude80");
    byte[] escaped = JsonAscii.escape(o.toBuffer().getBytes());
    for (byte b : escaped) {
      assertThat(b).isNotNegative();
    }
    assertThat(new JsonObject(Buffer.buffer(escaped))).isEqualTo(o);
    assertThat(JsonAscii.escape(o.toBuffer()).getBytes()).isEqualTo(escaped);
  }

  @Test
  void asciiIsReturnedAsItIs() {
    byte[] ascii = "{\"a\":\"b \\u00e9\"}".getBytes(UTF_8);
    assertThat(JsonAscii.escape(ascii)).isSameAs(ascii);
    Buffer b = Buffer.buffer(ascii);
    assertThat(JsonAscii.escape(b)).isSameAs(b);
  }

  @Test
  void eachUtf16UnitIsOneEscape() {
    byte[] json = "[\"\u0430\ud83d\ude80\u2028\"]".getBytes(UTF_8);
    assertThat(new String(JsonAscii.escape(json), UTF_8))
        .isEqualTo("[\"\\u0430\\ud83d\\ude80\\u2028\"]");
  }
}
