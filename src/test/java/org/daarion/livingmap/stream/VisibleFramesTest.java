package org.daarion.livingmap.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.visibility.Visibility;
import org.junit.jupiter.api.Test;

/** The stream's live path: one view per visibility class and batch, shared frames reused. */
class VisibleFramesTest {
  private final EventFrameEncoder encoder = new EventFrameEncoder();

  private Frame frame(String subject, String payload, long seq, String entity) {
    return encoder.frame(
        Event.incoming(
                subject,
                new JsonObject(payload),
                payload.getBytes(StandardCharsets.UTF_8),
                Instant.parse("2026-12-04T15:00:00Z"),
                null,
                null)
            .sequenced(seq, "ep", entity),
        -1);
  }

  @Test
  void eachClassGetsOneViewSharingEveryFrameItSeesUnchanged() {
    Frame node = frame("node.metrics.gpu-01", "{\"node_id\":\"gpu-01\",\"cpu\":0.5}", 1, null);
    Frame dao = frame("dao.event.updated", "{\"dao_id\":\"d1\",\"name\":\"x\"}", 2, null);
    Frame message =
        frame(
            "messaging.message.created",
            "{\"channel_id\":\"general\",\"sender_type\":\"agent\",\"sender_id\":\"sofia\"}",
            3,
            null);
    List<Frame> batch = List.of(node, dao, message);
    Visibility reader = Visibility.hiding(Set.of("nodes", "agents"), Visibility.Aliases.NONE);
    Visibility sameClass = Visibility.hiding(Set.of("agents", "nodes"), Visibility.Aliases.NONE);

    VisibleFrames.PerClass views = new VisibleFrames.PerClass(batch);
    assertThat(views.of(Visibility.FULL)).isSameAs(batch);
    List<Frame> seen = views.of(reader);
    assertThat(views.of(sameClass)).as("one view per class, not per socket").isSameAs(seen);

    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).as("the shared frame, byte for byte").isSameAs(dao);
    Frame redacted = seen.get(1);
    assertThat(redacted).isNotSameAs(message);
    assertThat(redacted.seq()).isEqualTo(3);
    assertThat(redacted.prevSeq()).isEqualTo(message.prevSeq());
    JsonObject json = new JsonObject(redacted.bytes());
    assertThat(json.getJsonObject("payload").fieldNames())
        .containsExactlyInAnyOrder("channel_id", "sender_type");
    // The wire form is the same message behind a WebSocket text-frame header.
    ByteBuf wire = redacted.wire();
    int n = redacted.bytes().length();
    assertThat(wire.readableBytes()).isEqualTo(Frame.headerLength(n) + n);
    assertThat(wire.getByte(0)).isEqualTo((byte) 0x81);
  }
}
