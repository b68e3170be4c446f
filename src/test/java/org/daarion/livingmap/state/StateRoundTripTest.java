package org.daarion.livingmap.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.daarion.livingmap.event.EventParser;
import org.daarion.livingmap.testing.HostileEvents;
import org.daarion.livingmap.testing.TestDatabase;

/**
 * Issue 13 part 3: whatever events arrive, hostile values included, the state serialises, is stored
 * in PostgreSQL (jsonb, as stored snapshots are), restores, and equals itself. Events go the whole
 * way an event goes: bytes through the parser, then the reducers with their checks.
 */
class StateRoundTripTest {
  private static Connection db;

  @BeforeContainer
  static void connect() throws Exception {
    db = TestDatabase.create().connect();
  }

  @AfterContainer
  static void disconnect() throws Exception {
    db.close();
  }

  @Property(tries = 300)
  void theStateAlwaysSerialisesStoresRestoresAndEqualsItself(
      @ForAll("events") List<HostileEvents.Raw> events) throws Exception {
    EventParser parser = new EventParser(1024 * 1024);
    LiveState state = new LiveState("e1", 0);
    Instant at = Instant.parse("2026-01-01T00:00:00Z");
    for (HostileEvents.Raw raw : events) {
      EventParser.Result r =
          parser.parse(raw.subject(), raw.json().getBytes(StandardCharsets.UTF_8), null, null, at);
      if (r.ok()) {
        Reducers.applyChecked(
            r.event(), state.resolve(r.event().entityId()), state.seq() + 1, state);
        state.nextSeq();
      }
      at = at.plusMillis(7);
    }
    StateCut cut = state.cut(at);
    JsonObject dump = StateCodec.dump(cut);
    SnapshotBuilder.build(cut, new JsonObject()).toBuffer();

    String stored = throughJsonb(dump.encode());
    StateCut restored = StateCodec.loadChecked(new JsonObject(stored));
    JsonObject again = StateCodec.dump(restored);

    assertThat(again).isEqualTo(dump);
    // jsonb orders keys its own way; stored again, the restored state is the same text.
    assertThat(throughJsonb(again.encode())).isEqualTo(stored);

    // Time travel reads a large stored state straight from its text (StateCodec.read): the same
    // state, in the same bytes, as through the tree, and with the key order of the text.
    for (String text : List.of(dump.encode(), stored)) {
      Object read;
      try (com.fasterxml.jackson.core.JsonParser p =
          new com.fasterxml.jackson.databind.ObjectMapper().createParser(text)) {
        p.nextToken();
        read = StateCodec.read(p);
      }
      JsonObject streamed = StateCodec.dump(StateCodec.loadChecked(read));
      JsonObject viaTree = StateCodec.dump(StateCodec.loadChecked(new JsonObject(text)));
      assertThat(streamed.toBuffer()).isEqualTo(viaTree.toBuffer());
      assertThat(((JsonObject) read).toBuffer()).isEqualTo(new JsonObject(text).toBuffer());
    }
  }

  /** What PostgreSQL gives back for a stored snapshot: the text of the jsonb value. */
  private static String throughJsonb(String json) throws Exception {
    try (PreparedStatement ps = db.prepareStatement("SELECT ?::jsonb::text")) {
      ps.setString(1, json);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  @Provide
  Arbitrary<List<HostileEvents.Raw>> events() {
    return HostileEvents.event().list().ofMinSize(1).ofMaxSize(40);
  }
}
