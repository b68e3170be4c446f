package org.daarion.livingmap.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The byte-level writers match what they replace: Jackson, UUID and Instant text. */
class EventTextTest {
  private static final String ALPHABET = "ab \"\\/\t\n\r\b\f\u0000\u0001\u001f\u007fé€🙂ÿ\u2028";

  @Test
  void jsonStringsAreTheBytesJacksonWrites() {
    SplittableRandom r = new SplittableRandom(7);
    Utf8Buffer b = new Utf8Buffer(4);
    for (int i = 0; i < 5_000; i++) {
      StringBuilder s = new StringBuilder();
      int n = r.nextInt(12);
      for (int k = 0; k < n; k++) {
        int at = r.nextInt(ALPHABET.length());
        if (Character.isHighSurrogate(ALPHABET.charAt(at))) {
          s.append(ALPHABET, at, at + 2);
        } else if (!Character.isLowSurrogate(ALPHABET.charAt(at))) {
          s.append(ALPHABET.charAt(at));
        }
      }
      b.clear();
      b.jsonString(s.toString());
      assertThat(new String(b.toByteArray(), StandardCharsets.UTF_8))
          .as("%s", s)
          .isEqualTo(Json.encode(s.toString()));
    }
    b.clear();
    assertThat(new String(b.jsonString(null).toByteArray(), StandardCharsets.UTF_8))
        .isEqualTo("null");
  }

  @Test
  void uuidsAndNumbersAreTheirUsualText() {
    SplittableRandom r = new SplittableRandom(3);
    Utf8Buffer b = new Utf8Buffer(8);
    for (int i = 0; i < 1_000; i++) {
      UUID u = new UUID(r.nextLong(), r.nextLong());
      long v = i < 20 ? i - 10 : r.nextLong();
      b.clear();
      b.uuid(u.getMostSignificantBits(), u.getLeastSignificantBits()).put(' ').decimal(v);
      assertThat(new String(b.toByteArray(), StandardCharsets.US_ASCII)).isEqualTo(u + " " + v);
    }
  }

  @Test
  void instantsAreWrittenAsInstantToStringWritesThem() {
    SplittableRandom r = new SplittableRandom(11);
    IsoInstantWriter w = new IsoInstantWriter();
    Utf8Buffer b = new Utf8Buffer(8);
    long base = 1_790_000_000L;
    for (int i = 0; i < 20_000; i++) {
      long second =
          switch (i % 4) {
            case 0 -> base + i / 100; // many to a second, as events arrive
            case 1 -> r.nextLong(-62_000_000_000L, 253_402_300_799L); // years 0 to 9999
            case 2 -> r.nextLong(-400_000_000_000L, 400_000_000_000L); // beyond
            default -> base;
          };
      int nanos =
          switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1000) * 1_000_000;
            case 2 -> r.nextInt(1_000_000) * 1_000;
            default -> r.nextInt(1_000_000_000);
          };
      Instant t = Instant.ofEpochSecond(second, nanos);
      b.clear();
      w.write(b, t);
      assertThat(new String(b.toByteArray(), StandardCharsets.US_ASCII)).isEqualTo(t.toString());
    }
  }

  @Test
  void onlyPlainJsonObjectsAreCopiedAsTheyArrived() {
    assertThat(plain("{\"a\":1}")).isTrue();
    assertThat(plain(" \n\t{\"url\":\"http://x/#y\",\"q\":\"\\\"//\\\\\"}\r\n")).isTrue();
    assertThat(plain("{\"a\":1}//c")).isFalse();
    assertThat(plain("{\"a\":1/*c*/}")).isFalse();
    assertThat(plain("{\"a\":1}# c")).isFalse();
    assertThat(plain("\uFEFF{\"a\":1}")).isFalse();
    assertThat(plain("[1]")).isFalse();
    assertThat(plain("")).isFalse();
    // An escaped quote does not end the string: the slashes after it are inside it.
    assertThat(plain("{\"a\":\"x\\\"//\"}")).isTrue();
  }

  private static boolean plain(String s) {
    return JsonText.isPlainObject(s.getBytes(StandardCharsets.UTF_8));
  }
}
