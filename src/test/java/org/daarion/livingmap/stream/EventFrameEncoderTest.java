package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.daarion.livingmap.event.Event;
import org.junit.jupiter.api.Test;

/** Event frames as the contract gives them, built by hand and sent as one array. */
class EventFrameEncoderTest {
  private final EventFrameEncoder encoder = new EventFrameEncoder();

  /** The frame as a JSON tree would give it (what the encoder replaced). */
  private static JsonObject expected(Event e, Long prevSeq) {
    JsonObject o = new JsonObject().put("kind", "event").put("seq", e.seq());
    if (prevSeq != null) {
      o.put("prev_seq", prevSeq);
    }
    return o.put("epoch", e.epoch())
        .put("event_type", e.eventType())
        .put("timestamp", e.timestamp() == null ? null : e.timestamp().toString())
        .put("entity_id", e.entityId())
        .put("entity_type", e.entityType())
        .put("source_service", e.sourceService())
        .put("payload", e.payload());
  }

  @Test
  void aPlainPayloadGoesOutAsItArrived() {
    String raw = "{ \"agent_id\": \"a-1\",\n \"status\": \"busy\", \"note\": \"é \\\"x\\\"\" }";
    JsonObject p = new JsonObject(raw);
    Event e =
        Event.incoming(
                "agent.event.status",
                p,
                raw.getBytes(StandardCharsets.UTF_8),
                Instant.parse("2026-12-04T06:49:00.120Z"),
                "js:S:5",
                null)
            .sequenced(42, "ep-1", "agent:a-1");
    Frame f = encoder.frame(e, -1);
    String text = f.bytes().toString(StandardCharsets.UTF_8);
    assertThat(text).endsWith(",\"payload\":" + raw + "}");
    assertThat(new JsonObject(text)).isEqualTo(expected(e, null));
    assertThat(f.prevSeq()).isEqualTo(41);
    assertThat(f.seq()).isEqualTo(42);
    assertWire(f);
  }

  @Test
  void anEncodedPayloadNullsAndPrevSeq() {
    Event e =
        new Event(
            7,
            "ep\"2",
            null,
            "living_map.alert.fired",
            null,
            null,
            "living-map-service",
            new JsonObject().put("rule", "hot\tnode").put("n", 1.5),
            null,
            null);
    Frame f = encoder.frame(e, 3);
    assertThat(new JsonObject(f.bytes().toString(StandardCharsets.UTF_8)))
        .isEqualTo(expected(e, 3L));
    assertThat(f.prevSeq()).isEqualTo(3);
    assertWire(f);
  }

  @Test
  void largeFramesHaveTheLongerHeaders() {
    for (int size : new int[] {100, 200, 70_000}) {
      JsonObject p = new JsonObject().put("blob", "x".repeat(size));
      Event e =
          new Event(1, "e", Instant.EPOCH, "city.event.x", null, null, "city", p, null, null, null);
      Frame f = encoder.frame(e, -1);
      assertThat(new JsonObject(f.bytes().toString(StandardCharsets.UTF_8)))
          .isEqualTo(expected(e, null));
      assertWire(f);
    }
  }

  /** The wire bytes are one final text frame whose payload is {@code bytes}. */
  private static void assertWire(Frame f) {
    byte[] w = new byte[f.wire().readableBytes()];
    f.wire().getBytes(f.wire().readerIndex(), w);
    int n = f.bytes().length();
    assertThat(w[0]).isEqualTo((byte) 0x81);
    int header;
    long len;
    if ((w[1] & 0x7f) < 126) {
      header = 2;
      len = w[1];
    } else if ((w[1] & 0x7f) == 126) {
      header = 4;
      len = ((w[2] & 0xff) << 8) | (w[3] & 0xff);
    } else {
      header = 10;
      len = 0;
      for (int i = 2; i < 10; i++) {
        len = (len << 8) | (w[i] & 0xff);
      }
    }
    assertThat(header).isEqualTo(Frame.headerLength(n));
    assertThat(len).isEqualTo(n);
    byte[] payload = new byte[n];
    System.arraycopy(w, header, payload, 0, n);
    assertThat(payload).isEqualTo(f.bytes().getBytes());
  }
}
