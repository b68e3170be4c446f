package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.event.Event;
import org.junit.jupiter.api.Test;

/**
 * The COPY's chunks are bounded in bytes, not only in rows: with 1 MiB payloads a chunk of 128 rows
 * grew the encoder's buffer to 128 MB, and the buffer kept it from batch to batch.
 */
class CopyRowsTest {
  private static List<Event> events(int n, int payloadChars) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      JsonObject p =
          new JsonObject().put("node_id", "node:n" + i).put("x", "a".repeat(payloadChars));
      out.add(
          Event.incoming("node.metrics.n" + i, p, Instant.EPOCH, null, null)
              .sequenced(i + 1, "e1", "node:n" + i));
    }
    return out;
  }

  @Test
  void aChunkEndsOnceItHoldsAMebibyteWithAtLeastOneRow() {
    CopyRows c = new CopyRows();
    c.header();
    List<Event> big = events(10, 1_000_000);
    int from = 0;
    int chunks = 0;
    while (from < big.size()) {
      int next = c.rows(big, from, 128);
      assertThat(next).isEqualTo(from + 2); // the second row began under the mark
      assertThat(c.chunk().length()).isLessThan(2 * CopyRows.CHUNK_BYTES + 4096);
      from = next;
      chunks++;
    }
    assertThat(chunks).isEqualTo(5);
    assertThat(c.ids()).hasSize(10);
    assertThat(c.payloads()).hasSize(10);

    // small rows: as many as the row limit allows
    c.header();
    assertThat(c.rows(events(300, 100), 0, 128)).isEqualTo(128);
  }

  @Test
  void aBufferThatGrewGivesItsMemoryBackAtTheNextCopy() {
    CopyRows c = new CopyRows();
    c.header();
    c.rows(events(1, 6_000_000), 0, 128);
    assertThat(c.chunk().array().length).isGreaterThan(6_000_000);
    c.header();
    assertThat(c.chunk().array().length).isLessThan(CopyRows.CHUNK_BYTES);
  }
}
