package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.daarion.livingmap.state.StateCodec;
import org.daarion.livingmap.state.StateCut;
import org.junit.jupiter.api.Test;

/**
 * A gzipped stored body is read back for its state and silences alone, whichever order they were
 * stored in (the API snapshot first, as before 2026-12-07, or last), and no further than them.
 */
class SnapshotReadBackTest {
  private static final String STATE =
      "{\"format\":\"living-map-state/1\",\"epoch\":\"e1\",\"seq\":7,\"at\":\"2026-12-07T10:00:00Z\","
          + "\"entities\":[{\"id\":\"node:1\",\"type\":\"node\",\"data\":{\"id\":\"node:1\","
          + "\"name\":\"n\\u00e9\",\"metrics\":{\"cpu\":0.5,\"gpu\":0.25}},\"extra\":{},"
          + "\"sources\":[\"nodes-service\"],\"seq\":7,\"updated_at\":\"2026-12-07T09:59:00Z\"}],"
          + "\"aliases\":{\"n1\":\"node:1\"},\"stream_seq\":0}";
  private static final String SILENCES = "[{\"id\":\"s1\",\"matchers\":[]}]";
  private static final String API = "\"generated_at\":\"2026-12-07T10:00:00Z\",\"layers\":{}";

  @Test
  void readsTheStateAndSilencesInEitherOrder() throws Exception {
    JsonObject apiFirst =
        SnapshotStore.readBack(
            gzip("{" + API + ",\"state\":" + STATE + ",\"silences\":" + SILENCES + "}"));
    JsonObject stateFirst =
        SnapshotStore.readBack(
            gzip("{\"state\":" + STATE + ",\"silences\":" + SILENCES + "," + API + "}"));
    for (JsonObject read : new JsonObject[] {apiFirst, stateFirst}) {
      assertThat(read.fieldNames()).containsExactlyInAnyOrder("state", "silences");
      assertThat(read.getJsonObject("state").encode()).isEqualTo(new JsonObject(STATE).encode());
      assertThat(read.getJsonArray("silences")).isEqualTo(new JsonArray(SILENCES));
      StateCut cut = StateCodec.load(read.getJsonObject("state"));
      assertThat(cut.seq()).isEqualTo(7);
      assertThat(cut.entities()).hasSize(1);
      assertThat(cut.entities().get(0).data().getJsonObject("metrics").getDouble("cpu"))
          .isEqualTo(0.5);
      assertThat(cut.aliases()).containsEntry("n1", "node:1");
    }
  }

  @Test
  void stopsAfterTheLastMemberItReads() throws Exception {
    // What follows the silences is never read: here it is not even JSON.
    JsonObject read =
        SnapshotStore.readBack(
            gzip("{\"state\":" + STATE + ",\"silences\":" + SILENCES + ",\"layers\":{]]]"));
    assertThat(read.getJsonObject("state").getLong("seq")).isEqualTo(7);
  }

  @Test
  void whatIsReadBackIsStoredFirst() throws Exception {
    StateCut cut = StateCodec.load(new JsonObject(STATE));
    io.vertx.core.buffer.Buffer body =
        new org.daarion.livingmap.state.StoredSnapshots(JsonObject::new)
            .stored(cut, new JsonArray(SILENCES));
    JsonObject whole = new JsonObject(body);
    assertThat(List.copyOf(whole.fieldNames()).subList(0, 3))
        .containsExactly("state", "silences", "generated_at");
    assertThat(whole.getJsonObject("layers").getJsonObject("nodes").getJsonArray("items"))
        .hasSize(1);
    JsonObject read = SnapshotStore.readBack(gzip(body.toString()));
    assertThat(StateCodec.dump(StateCodec.load(read.getJsonObject("state"))))
        .isEqualTo(StateCodec.dump(cut));
  }

  private static byte[] gzip(String json) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(json.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }
}
