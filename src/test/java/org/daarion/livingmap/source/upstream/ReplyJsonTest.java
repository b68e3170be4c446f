package org.daarion.livingmap.source.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.daarion.livingmap.event.FiniteNumbers;
import org.daarion.livingmap.event.NulText;
import org.junit.jupiter.api.Test;

/**
 * The lazy decoding of upstream replies against the tree decoding it replaced, which is the oracle:
 * the same values for every real upstream reply in the fixtures and for random documents, and the
 * same refusal with the same path for every document with a number that is not finite or a NUL.
 */
class ReplyJsonTest {
  private static final Path FIXTURES = Path.of("src/test/resources/fixtures/upstream");

  @Test
  void everyFixtureDecodesAsTheTreeDecoderDecodesIt() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(FIXTURES)) {
      files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThan(10);
    for (Path f : files) {
      byte[] bytes = Files.readAllBytes(f);
      Object tree = Json.decodeValue(Buffer.buffer(bytes));
      Object lazy = ReplyJson.decode(bytes);
      assertThat(Json.encode(lazy)).as(f.toString()).isEqualTo(Json.encode(tree));
      assertThat(lazy).as(f.toString()).isEqualTo(tree);
    }
  }

  @Test
  void listsAreDecodedPerElementAndRefuseChanges() throws Exception {
    Object v =
        ReplyJson.decode(bytes("{\"total\":2,\"items\":[{\"id\":\"a\",\"n\":1},{\"id\":\"b\"}]}"));
    JsonObject o = (JsonObject) v;
    JsonArray items = o.getJsonArray("items");
    assertThat(items.getList()).isInstanceOf(ReplyJson.Slices.class);
    assertThat(items.size()).isEqualTo(2);
    assertThat(items.getJsonObject(0).getInteger("n")).isEqualTo(1);
    assertThat(items.getJsonObject(0)).isNotSameAs(items.getJsonObject(0));
    assertThat(o.getInteger("total")).isEqualTo(2);
    assertThatThrownBy(() -> items.add("x")).isInstanceOf(UnsupportedOperationException.class);
    Object root = ReplyJson.decode(bytes(" [ 1 , \"two\" , [3] , {\"four\" : 4.5} , null ] "));
    assertThat(root).isEqualTo(new JsonArray("[1,\"two\",[3],{\"four\":4.5},null]"));
    assertThat(ReplyJson.decode(bytes("42"))).isEqualTo(42);
    assertThat(ReplyJson.decode(bytes("\"x\""))).isEqualTo("x");
    assertThat(ReplyJson.decode(bytes("null"))).isNull();
    assertThat(ReplyJson.decode(bytes("  "))).isNull();
    assertThat(ReplyJson.decode(bytes("{\"big\":123456789012345678901234567890}")))
        .isEqualTo(Json.decodeValue("{\"big\":123456789012345678901234567890}"));
  }

  @Test
  void whatIsNotJsonIsRefused() {
    for (String bad :
        List.of(
            "{",
            "[1,2",
            "{\"a\":1}}",
            "{\"a\":1} {\"b\":2}",
            "[1] x",
            "{\"a\":[{\"b\":1},]}",
            "nope",
            "{\"a\":\"unterminated}")) {
      assertThatThrownBy(() -> ReplyJson.decode(bytes(bad)))
          .as(bad)
          .isInstanceOf(ReplyJson.Refused.class)
          .hasMessage("not JSON");
    }
    byte[] utf16 = "{\"items\":[{\"a\":1}]}".getBytes(StandardCharsets.UTF_16BE);
    assertThatThrownBy(() -> ReplyJson.decode(utf16))
        .isInstanceOf(ReplyJson.Refused.class)
        .hasMessageStartingWith("not JSON");
  }

  @Test
  void refusalsNameThePathTheTreeWalksNamed() throws Exception {
    String[] docs = {
      "{\"items\":[{\"id\":\"a\"},{\"id\":\"b\",\"cpu\":1e400}]}",
      "[{\"a\":[1,2,-1e999]}]",
      "{\"x\":{\"y\":[[0,[1e309]]]}}",
      "1e400",
      "{\"n\":" + "9".repeat(400) + "}",
      "{\"items\":[{\"name\":\"ok\"},{\"name\":\"bad\\u0000\"}]}",
      "{\"k\\u0000ey\":1}",
      "[{\"a\":{\"b\\u0000\":\"x\"}}]",
      "\"\\u0000\"",
      "{\"both\":[\"\\u0000\",1e400]}",
      // A text after a refusal was found is still read to its end (found by the random test).
      "{\"k\\u0000\":1,\"s\":\"é∑x\",\"e\":\"\",\"l\":[\"\",\"é\"]}",
    };
    for (String doc : docs) {
      String expected = refusalOf(Json.decodeValue(doc));
      assertThat(expected).as(doc).isNotNull();
      assertRefused(doc, expected, doc);
    }
  }

  @Test
  void randomDocumentsDecodeAndAreRefusedAsTheTreeSays() throws Exception {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    for (int i = 0; i < 5_000; i++) {
      String doc = document(r, 0);
      Object tree = Json.decodeValue(doc);
      String expected = refusalOf(tree);
      String context = "seed " + seed + ": " + doc;
      if (expected == null) {
        assertThat(Json.encode(ReplyJson.decode(bytes(doc))))
            .as(context)
            .isEqualTo(Json.encode(tree));
      } else {
        assertRefused(doc, expected, context);
      }
    }
  }

  /** What the tree decoder's checks said of {@code tree}: the refusal's message, or null. */
  private static String refusalOf(Object tree) {
    String nonFinite = FiniteNumbers.firstNonFinite(tree);
    if (nonFinite != null) {
      return "number at " + nonFinite + " is not finite";
    }
    String nul = NulText.firstNul(tree);
    return nul == null ? null : "text at " + nul.replace("\0", "\\u0000") + " holds a NUL";
  }

  private static void assertRefused(String doc, String expected, String context) {
    assertThatThrownBy(() -> ReplyJson.decode(bytes(doc)))
        .as(context)
        .isInstanceOf(ReplyJson.Refused.class)
        .hasMessage(expected);
  }

  private static String document(Random r, int depth) {
    int kind = depth >= 4 ? r.nextInt(4) : r.nextInt(6);
    return switch (kind) {
      case 0 -> r.nextInt(200) == 0 ? "1e400" : String.valueOf(r.nextDouble() * 100);
      case 1 -> String.valueOf(r.nextInt());
      case 2 -> r.nextInt(150) == 0 ? "\"a\\u0000b\"" : "\"" + "é∑x".repeat(r.nextInt(3)) + "\"";
      case 3 -> r.nextBoolean() ? "null" : "true";
      case 4 -> {
        StringBuilder b = new StringBuilder("[");
        int n = r.nextInt(5);
        for (int j = 0; j < n; j++) {
          b.append(j > 0 ? "," : "").append(document(r, depth + 1));
        }
        yield b.append(']').toString();
      }
      default -> {
        StringBuilder b = new StringBuilder("{");
        int n = r.nextInt(5);
        for (int j = 0; j < n; j++) {
          String key = r.nextInt(300) == 0 ? "k\\u0000" + j : "k" + j;
          b.append(j > 0 ? "," : "").append('"').append(key).append("\":");
          b.append(document(r, depth + 1));
        }
        yield b.append('}').toString();
      }
    };
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
