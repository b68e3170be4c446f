package org.daarion.livingmap.event;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One event on the map. Before the sequencer it has {@code seq == 0}; after, {@code seq} is its
 * gap-free position within {@code epoch}. Immutable by convention: nobody mutates {@code payload}
 * after the event is built.
 *
 * @param seq position within the epoch, from 1; 0 until sequenced
 * @param epoch identifies one unbroken run of seq numbers; a different epoch means positions from
 *     another run cannot be compared
 * @param timestamp when Living Map received the event (history's {@code timestamp})
 * @param eventType the NATS subject
 * @param entityId canonical {@code type:id}, or null when the payload names no entity
 * @param entityType the entity's type (see {@link EntityIds})
 * @param sourceService the DAARION service the subject belongs to
 * @param payload the flat JSON payload as published
 * @param msgId the source's message id for deduplication (JetStream sequence or Nats-Msg-Id), or
 *     null
 * @param acker acknowledges the event to its source once stored
 * @param payloadJson the payload's JSON text as it arrived (UTF-8), when it is plain JSON that can
 *     be copied into frames and history as it is (see {@link JsonText#isPlainObject}); null when
 *     the payload must be encoded from {@code payload} (derived events, history replays, payloads
 *     with comments)
 */
public record Event(
    long seq,
    String epoch,
    Instant timestamp,
    String eventType,
    String entityId,
    String entityType,
    String sourceService,
    JsonObject payload,
    String msgId,
    Acker acker,
    byte[] payloadJson) {

  public Event {
    if (acker == null) {
      acker = Acker.NONE;
    }
    // History keeps microseconds: what the state derives from the timestamp (a node's last_seen)
    // is then the same live, in a stored snapshot and rebuilt from history, and a diff of two
    // instants does not list every entity as changed by its last nanoseconds.
    if (timestamp != null && timestamp.getNano() % 1_000 != 0) {
      timestamp = timestamp.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }
  }

  /** An event whose payload is encoded from {@code payload} when it is written out. */
  public Event(
      long seq,
      String epoch,
      Instant timestamp,
      String eventType,
      String entityId,
      String entityType,
      String sourceService,
      JsonObject payload,
      String msgId,
      Acker acker) {
    this(
        seq,
        epoch,
        timestamp,
        eventType,
        entityId,
        entityType,
        sourceService,
        payload,
        msgId,
        acker,
        null);
  }

  /**
   * The payload as JSON text (UTF-8): the bytes it arrived as when they are plain JSON, else
   * encoded; {@code null} for a missing payload.
   */
  public byte[] payloadBytes() {
    if (payloadJson != null) {
      return payloadJson;
    }
    return payload == null ? null : payload.toBuffer().getBytes();
  }

  /** A new, unsequenced event as a source delivers it. */
  public static Event incoming(
      String subject, JsonObject payload, Instant receivedAt, String msgId, Acker acker) {
    return incoming(subject, payload, null, receivedAt, msgId, acker);
  }

  /**
   * Like {@link #incoming(String, JsonObject, Instant, String, Acker)} with the bytes the payload
   * was parsed from, kept when they are plain JSON (see {@link JsonText#isPlainObject}).
   */
  public static Event incoming(
      String subject,
      JsonObject payload,
      byte[] data,
      Instant receivedAt,
      String msgId,
      Acker acker) {
    EntityIds.Ref ref = EntityIds.of(subject, payload);
    return new Event(
        0,
        null,
        receivedAt,
        subject,
        ref.id(),
        ref.type(),
        SourceServices.forSubject(subject),
        payload,
        msgId,
        acker,
        data != null && JsonText.isPlainObject(data) ? data : null);
  }

  /**
   * The JetStream stream sequence this event was delivered at, from a message id of the form {@code
   * js:<epoch>:<seq>} (or the older {@code js:<stream>:<seq>}); 0 when it did not come from
   * JetStream.
   */
  public long streamSequence() {
    if (msgId == null || !msgId.startsWith("js:")) {
      return 0;
    }
    int colon = msgId.lastIndexOf(':');
    try {
      return Long.parseLong(msgId.substring(colon + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * This event without its body: no payload, message id or acknowledgement, what a stream frame
   * needs to route an event it already holds as bytes.
   */
  public Event header() {
    return with(seq, epoch, entityId, null, null, null, null);
  }

  /**
   * This event without its payload object when it has the payload's bytes ({@link #payloadBytes()}
   * gives them), for a queue where the object tree would only wait to be collected; itself
   * otherwise.
   */
  public Event withPayloadBytesOnly() {
    if (payloadJson == null || payload == null) {
      return this;
    }
    return with(seq, epoch, entityId, null, msgId, acker, payloadJson);
  }

  /** This event at its position, with its entity id resolved against the live state. */
  public Event sequenced(long seq, String epoch, String resolvedEntityId) {
    return with(seq, epoch, resolvedEntityId, payload, msgId, acker, payloadJson);
  }

  /** This event with the fields that change between its stages. */
  private Event with(
      long seq,
      String epoch,
      String entityId,
      JsonObject payload,
      String msgId,
      Acker acker,
      byte[] payloadJson) {
    return new Event(
        seq,
        epoch,
        timestamp,
        eventType,
        entityId,
        entityType,
        sourceService,
        payload,
        msgId,
        acker,
        payloadJson);
  }
}
