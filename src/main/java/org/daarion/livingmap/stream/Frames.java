package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.daarion.livingmap.wire.VertxInternals;

/**
 * The server-to-client frames of CONTRACT section 3 and our additions, each built as JSON bytes.
 * Every frame is a JSON object with {@code kind}:
 *
 * <pre>
 * {"kind":"snapshot","seq":S,"epoch":E,"reason":"resync"?,"data":{...}}
 * {"kind":"event","seq":N,"epoch":E,"event_type":..,"timestamp":ISO,"entity_id":..,
 *   "entity_type":..,"source_service":..,"payload":{...}}
 * {"kind":"ping","timestamp":ISO}
 * {"kind":"error","error":"..","code":N,"timestamp":ISO}
 * {"kind":"coalesced","from_seq":F,"to_seq":T,"dropped":D}   (max_rate connections only)
 * {"kind":"resumed","since_seq":N,"seq":S,"epoch":E,"replayed":K}   (after a resume)
 * {"kind":"subscribed","filter":{...}}   (after a subscribe/unsubscribe op)
 * </pre>
 *
 * <p>Event frames, one per event on the hot path, are written by {@link EventFrameEncoder}.
 */
final class Frames {
  private Frames() {}

  /**
   * A snapshot frame around already serialised snapshot JSON, by concatenation: the snapshot is not
   * encoded again.
   *
   * @param reason null on connect, {@code "resync"} when it replaces a gap, {@code "subscribe"}
   *     after a filter change
   */
  static Buffer snapshot(long seq, String epoch, String reason, Buffer data) {
    byte[] h = snapshotHead(seq, epoch, reason);
    if (VertxInternals.isDirect(data)) {
      // Prepared bytes outside the heap: the frame shares them (no copy of the snapshot), and stays
      // direct so that every socket writes the same memory instead of copying it.
      return VertxInternals.directConcat(h, data, snapshotTail());
    }
    Buffer b = Buffer.buffer(h.length + data.length() + 1);
    b.appendBytes(h).appendBuffer(data).appendBytes(snapshotTail());
    return b;
  }

  /** What a snapshot frame has after its data. */
  static byte[] snapshotTail() {
    return new byte[] {'}'};
  }

  /** What a snapshot frame has before its data. */
  static byte[] snapshotHead(long seq, String epoch, String reason) {
    StringBuilder head = new StringBuilder(96);
    head.append("{\"kind\":\"snapshot\",\"seq\":").append(seq).append(",\"epoch\":");
    head.append(Json.encode(epoch));
    if (reason != null) {
      head.append(",\"reason\":").append(Json.encode(reason));
    }
    head.append(",\"data\":");
    return head.toString().getBytes(StandardCharsets.UTF_8);
  }

  static Buffer ping(Instant now) {
    return Buffer.buffer("{\"kind\":\"ping\",\"timestamp\":\"" + now + "\"}");
  }

  static Buffer error(String message, int code, Instant now) {
    return new JsonObject()
        .put("kind", "error")
        .put("error", message)
        .put("code", code)
        .put("timestamp", now.toString())
        .toBuffer();
  }

  static Buffer error(String message, int code, String parameter, Instant now) {
    JsonObject o =
        new JsonObject()
            .put("kind", "error")
            .put("error", message)
            .put("code", code)
            .put("timestamp", now.toString());
    if (parameter != null) {
      o.put("parameter", parameter);
    }
    return o.toBuffer();
  }

  static Buffer coalesced(long fromSeq, long toSeq, long dropped) {
    return Buffer.buffer(
        "{\"kind\":\"coalesced\",\"from_seq\":"
            + fromSeq
            + ",\"to_seq\":"
            + toSeq
            + ",\"dropped\":"
            + dropped
            + "}");
  }

  static Buffer resumed(long sinceSeq, long seq, String epoch, int replayed) {
    return new JsonObject()
        .put("kind", "resumed")
        .put("since_seq", sinceSeq)
        .put("seq", seq)
        .put("epoch", epoch)
        .put("replayed", replayed)
        .toBuffer();
  }

  static Buffer subscribed(StreamFilter filter, String op) {
    return new JsonObject()
        .put("kind", "subscribed")
        .put("op", op)
        .put("filter", filter.toJson())
        .toBuffer();
  }
}
