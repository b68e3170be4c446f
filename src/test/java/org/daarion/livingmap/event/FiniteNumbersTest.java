package org.daarion.livingmap.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FiniteNumbersTest {
  private final EventParser parser = new EventParser(1024 * 1024);

  private EventParser.Result parse(String subject, String json) {
    return parser.parse(subject, json.getBytes(StandardCharsets.UTF_8), null, null, Instant.EPOCH);
  }

  @Test
  void theParserRefusesNumbersThatAreNotFiniteAnywhereInThePayload() {
    EventParser.Result r = parse("node.metrics.n1", "{\"node_id\":\"node:n1\",\"cpu\":1e400}");
    assertThat(r.ok()).isFalse();
    assertThat(r.rejection().reason()).isEqualTo("field 'cpu' is not a finite number");

    r = parse("custom.subject", "{\"a\":{\"b\":[1,2,-1e999]}}");
    assertThat(r.ok()).isFalse();
    assertThat(r.rejection().reason()).contains("a.b[2]");

    r = parse("usage.llm", "{\"agent_id\":\"a\",\"total_tokens\":1" + "0".repeat(400) + "}");
    assertThat(r.ok()).isFalse();
    assertThat(r.rejection().reason()).contains("total_tokens");
  }

  @Test
  void theParserRefusesTextPostgreSqlCannotStore() {
    // U+0000 is valid JSON but neither jsonb nor text holds it: a stored snapshot would fail.
    EventParser.Result r =
        parse("node.metrics.n1", "{\"node_id\":\"node:n1\",\"last_seen\":\"a\\u0000b\"}");
    assertThat(r.ok()).isFalse();
    assertThat(r.rejection().reason()).isEqualTo("field 'last_seen' holds a NUL character");

    r = parse("custom.subject", "{\"a\":[{\"k\\u0000\":1}]}");
    assertThat(r.ok()).isFalse();
    assertThat(r.rejection().reason()).contains("a[0].k\\u0000");

    assertThat(parse("custom.subject", "{\"a\":\"\\u0001 is fine\"}").ok()).isTrue();
  }

  @Test
  void finiteExtremesPass() {
    assertThat(parse("node.metrics.n1", "{\"node_id\":\"n1\",\"cpu\":1.7976931348623157e308}").ok())
        .isTrue();
    assertThat(parse("x.y", "{\"v\":-4.9e-324,\"big\":123456789012345678901234567890}").ok())
        .isTrue();
  }

  @Test
  void pathsNameTheFirstBadNumber() {
    assertThat(FiniteNumbers.firstNonFinite(new JsonObject().put("ok", 1.0))).isNull();
    assertThat(FiniteNumbers.firstNonFinite(new JsonObject().put("x", Double.NaN))).isEqualTo("x");
    assertThat(
            FiniteNumbers.firstNonFinite(
                new JsonArray().add(new JsonObject().put("y", Float.NEGATIVE_INFINITY))))
        .isEqualTo("[0].y");
    assertThat(FiniteNumbers.firstNonFinite(Double.POSITIVE_INFINITY)).isEqualTo("(value)");
    assertThat(FiniteNumbers.finite(BigInteger.TEN.pow(400))).isFalse();
    assertThat(FiniteNumbers.firstNonFinite("Infinity")).isNull();
  }
}
