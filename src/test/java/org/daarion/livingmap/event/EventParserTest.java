package org.daarion.livingmap.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.daarion.livingmap.testing.Fixtures;
import org.junit.jupiter.api.Test;

class EventParserTest {
  private final EventParser parser = new EventParser(1024 * 1024);

  private EventParser.Result parse(String subject, String json) {
    return parser.parse(subject, json.getBytes(StandardCharsets.UTF_8), null, null, Instant.EPOCH);
  }

  @Test
  void everyFixtureEventParsesWithItsEntity() {
    String[][] cases = {
      {"node.metrics.node-03", "node.metrics.node-03", "node:03", "node"},
      {"agent.event.status", "agent.event.status", "agent:sofia", "agent"},
      {"usage.llm", "usage.llm", "agent:sofia", "agent"},
      {"usage.agent", "usage.agent", "agent:sofia", "agent"},
      {"messaging.message.created", "messaging.message.created", "microdao:daarion", "microdao"},
      {"dao.event.created", "dao.event.created", "dao:da000009-0000-4000-8000-000000000002", "dao"},
      {
        "microdao.event.updated",
        "microdao.event.updated",
        "microdao:3d000008-0000-4000-8000-000000000001",
        "microdao"
      },
      {"city.event.alert", "city.event.alert", "microdao:7", "microdao"},
    };
    for (String[] c : cases) {
      EventParser.Result r =
          parser.parse(c[1], Fixtures.bytes("events/" + c[0] + ".json"), "m1", null, Instant.EPOCH);
      assertThat(r.ok()).as(c[0]).isTrue();
      assertThat(r.event().entityId()).as(c[0]).isEqualTo(c[2]);
      assertThat(r.event().entityType()).as(c[0]).isEqualTo(c[3]);
      assertThat(r.event().msgId()).isEqualTo("m1");
    }
  }

  /**
   * The parser builds payloads without the data-binding layer; they must be the objects {@code
   * Json.decodeValue} builds (same classes for numbers, maps, lists; same leniency), and a payload
   * kept as it arrived must be exactly the plain-JSON ones.
   */
  @Test
  void payloadsAreWhatVertxDecodesAndPlainOnesAreKeptAsTheyArrived() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    for (int i = 0; i < 3_000; i++) {
      String text = randomObject(r, 0);
      if (r.nextInt(10) == 0) {
        text = " /* note */ " + text;
      }
      byte[] data = text.getBytes(StandardCharsets.UTF_8);
      EventParser.Result got = parser.parse("city.event.x", data, null, null, Instant.EPOCH);
      Object want;
      try {
        want = io.vertx.core.json.Json.decodeValue(io.vertx.core.buffer.Buffer.buffer(data));
      } catch (io.vertx.core.json.DecodeException e) {
        want = null;
      }
      if (!(want instanceof io.vertx.core.json.JsonObject)
          || FiniteNumbers.firstNonFinite(want) != null) {
        assertThat(got.ok()).as(text).isFalse();
        continue;
      }
      assertThat(got.ok()).as(text).isTrue();
      assertThat(shape(got.event().payload())).as(text).isEqualTo(shape(want));
      assertThat(got.event().payload()).isEqualTo(want);
      assertThat(got.event().payloadJson() != null).as(text).isEqualTo(!text.contains("/*"));
    }
  }

  /** Classes and values, nested: equal shapes mean the same Java objects were built. */
  private static String shape(Object o) {
    if (o instanceof io.vertx.core.json.JsonObject j) {
      return "O" + shape(j.getMap());
    }
    if (o instanceof java.util.Map<?, ?> m) {
      StringBuilder b = new StringBuilder("{");
      m.forEach((k, v) -> b.append(k).append('=').append(shape(v)).append(','));
      return b.append('}').toString();
    }
    if (o instanceof java.util.List<?> l) {
      StringBuilder b = new StringBuilder("[");
      l.forEach(v -> b.append(shape(v)).append(','));
      return b.append(']').toString();
    }
    return o == null ? "null" : o.getClass().getSimpleName() + ":" + o;
  }

  private static final String[] ATOMS = {
    "1",
    "-0",
    "2.5",
    "1e3",
    "-1.5E-7",
    "12345678901",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
    "\"\"",
    "\"é\\n\\u00e9\"",
    "\"a/b#c\"",
    "1e400",
    "01",
    "tru",
    "'x'"
  };

  private static String randomObject(java.util.SplittableRandom r, int depth) {
    StringBuilder b = new StringBuilder("{");
    int n = r.nextInt(5);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        b.append(r.nextInt(30) == 0 ? ",," : ",");
      }
      b.append('"').append((char) ('a' + r.nextInt(4))).append("\":");
      b.append(r.nextInt(8) == 0 ? "\n " : "");
      int kind = r.nextInt(10);
      if (kind == 0 && depth < 3) {
        b.append(randomObject(r, depth + 1));
      } else if (kind == 1 && depth < 3) {
        b.append('[').append(ATOMS[r.nextInt(ATOMS.length)]).append(',');
        b.append(randomObject(r, depth + 1)).append(']');
      } else {
        b.append(ATOMS[r.nextInt(ATOMS.length)]);
      }
    }
    return b.append(r.nextInt(40) == 0 ? "} x" : "}").toString();
  }

  @Test
  void microdaoSubjectsAreMicrodaosNotDaos() {
    EventParser.Result r = parse("microdao.event.created", "{\"microdao_id\":\"abc\"}");
    assertThat(r.event().entityType()).isEqualTo("microdao");
    assertThat(r.event().sourceService()).isEqualTo("microdao-service");
  }

  @Test
  void badPayloadsAreRejectedWithAReason() {
    assertThat(parse("node.metrics.x", "not json").rejection().reason()).startsWith("not JSON");
    assertThat(parse("node.metrics.x", "[1,2]").rejection().reason()).contains("not a JSON object");
    assertThat(parse("node.metrics.x", "{\"cpu\":\"high\"}").rejection().reason())
        .contains("'cpu'");
    assertThat(parse("usage.llm", "{\"success\":\"yes\"}").rejection().reason())
        .contains("'success'");
    assertThat(parse("node.metrics.x", "").rejection().reason()).isEqualTo("empty payload");
    EventParser small = new EventParser(10);
    EventParser.Result big =
        small.parse(
            "x.y",
            "{\"a\":\"0123456789\"}".getBytes(StandardCharsets.UTF_8),
            null,
            null,
            Instant.EPOCH);
    assertThat(big.rejection().reason()).contains("over the limit");
    assertThat(big.rejection().size()).isEqualTo(18);
  }

  @Test
  void unknownSubjectsAreAcceptedAsTheyAre() {
    EventParser.Result r = parse("space.event.anything", "{\"x\":1}");
    assertThat(r.ok()).isTrue();
    assertThat(r.event().entityId()).isNull();
  }
}
