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
