package org.daarion.livingmap.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * Turns raw bus bytes into an {@link Event} or a {@link Rejection}. Thread-safe and stateless, so
 * it runs on the source's own thread, off the state owner.
 *
 * <p>Rejected: payloads over the size limit, non-JSON, JSON that is not an object, and known
 * subjects whose fields have the wrong JSON type (a number where a string belongs and so on), and
 * numbers that are not finite as a double anywhere in the payload ({@code 1e400}, see {@link
 * FiniteNumbers}): the state could not store them as numbers. Missing optional fields are fine:
 * publishers omit them.
 */
public final class EventParser {
  /** Field name to the JSON kind it must have when present, per subject family. */
  private static final Map<String, Map<String, Kind>> SCHEMAS =
      Map.of(
          "node.metrics",
          Map.of(
              "node_id", Kind.STRING,
              "cpu", Kind.NUMBER,
              "gpu", Kind.NUMBER,
              "ram", Kind.NUMBER,
              "disk", Kind.NUMBER,
              "net_in", Kind.NUMBER,
              "net_out", Kind.NUMBER,
              "temperature", Kind.NUMBER),
          "agent.event",
          Map.of("agent_id", Kind.STRING, "status", Kind.STRING, "microdao_id", Kind.STRING),
          "usage.llm",
          Map.of(
              "agent_id", Kind.STRING,
              "total_tokens", Kind.NUMBER,
              "prompt_tokens", Kind.NUMBER,
              "completion_tokens", Kind.NUMBER,
              "latency_ms", Kind.NUMBER,
              "success", Kind.BOOLEAN,
              "model", Kind.STRING),
          "usage.agent",
          Map.of(
              "agent_id", Kind.STRING,
              "llm_calls", Kind.NUMBER,
              "tool_calls", Kind.NUMBER,
              "duration_ms", Kind.NUMBER,
              "success", Kind.BOOLEAN),
          "messaging.message",
          Map.of(
              "channel_id", Kind.STRING,
              "sender_id", Kind.STRING,
              "sender_type", Kind.STRING,
              "microdao_id", Kind.STRING),
          "dao.event",
          Map.of(
              "dao_id", Kind.STRING,
              "slug", Kind.STRING,
              "proposal_id", Kind.STRING,
              "name", Kind.STRING,
              "status", Kind.STRING,
              "microdao_id", Kind.STRING,
              "token_symbol", Kind.STRING),
          "microdao.event",
          Map.of(
              "microdao_id", Kind.STRING,
              "slug", Kind.STRING,
              "changes", Kind.OBJECT,
              "name", Kind.STRING,
              "token_symbol", Kind.STRING),
          "living_map.entity",
          Map.of(
              "entity_id", Kind.STRING,
              "entity_type", Kind.STRING,
              "entity", Kind.OBJECT,
              "changes", Kind.OBJECT,
              "source", Kind.STRING),
          "city.event",
          Map.of("severity", Kind.STRING, "label", Kind.STRING, "type", Kind.STRING));

  private enum Kind {
    STRING,
    NUMBER,
    BOOLEAN,
    OBJECT
  }

  private final int maxBytes;

  /**
   * Vert.x's JSON factory (comments allowed), reading straight from the message's bytes; the
   * objects are built by Vert.x's streaming codec, as {@code Json.decodeValue} builds them, without
   * the data-binding layer it goes through (a third of the pull thread's time).
   */
  private final JsonFactory json =
      JsonFactory.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();

  public EventParser(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** A parse result: exactly one of {@code event} and {@code rejection} is set. */
  public record Result(Event event, Rejection rejection) {
    public boolean ok() {
      return event != null;
    }
  }

  public Result parse(String subject, byte[] data, String msgId, Acker acker, Instant receivedAt) {
    if (subject == null || subject.isBlank()) {
      return reject(receivedAt, "", "empty subject", data, msgId, acker);
    }
    if (data == null || data.length == 0) {
      return reject(receivedAt, subject, "empty payload", new byte[0], msgId, acker);
    }
    if (data.length > maxBytes) {
      return reject(
          receivedAt,
          subject,
          "payload of " + data.length + " bytes is over the limit of " + maxBytes,
          data,
          msgId,
          acker);
    }
    Object parsed;
    try {
      parsed = JacksonCodec.fromParser(json.createParser(data), Object.class);
    } catch (DecodeException | IllegalStateException | IOException e) {
      return reject(receivedAt, subject, "not JSON: " + shortMessage(e), data, msgId, acker);
    }
    if (!(parsed instanceof JsonObject payload)) {
      return reject(receivedAt, subject, "payload is not a JSON object", data, msgId, acker);
    }
    String nonFinite = FiniteNumbers.firstNonFinite(payload);
    if (nonFinite != null) {
      return reject(
          receivedAt,
          subject,
          "field '" + nonFinite + "' is not a finite number",
          data,
          msgId,
          acker);
    }
    String nul = NulText.firstNul(payload);
    if (nul != null) {
      return reject(
          receivedAt,
          subject,
          "field '" + nul.replace("\0", "\\u0000") + "' holds a NUL character",
          data,
          msgId,
          acker);
    }
    String typeError = checkTypes(subject, payload);
    if (typeError != null) {
      return reject(receivedAt, subject, typeError, data, msgId, acker);
    }
    return new Result(Event.incoming(subject, payload, data, receivedAt, msgId, acker), null);
  }

  private static String checkTypes(String subject, JsonObject payload) {
    Map<String, Kind> schema = SCHEMAS.get(family(subject));
    if (schema == null) {
      return null;
    }
    for (Map.Entry<String, Kind> field : schema.entrySet()) {
      Object v = payload.getValue(field.getKey());
      if (v == null) {
        continue;
      }
      boolean ok =
          switch (field.getValue()) {
            case STRING -> v instanceof String;
            case NUMBER -> v instanceof Number;
            case BOOLEAN -> v instanceof Boolean;
            case OBJECT -> v instanceof JsonObject;
          };
      if (!ok) {
        return "field '"
            + field.getKey()
            + "' must be a "
            + field.getValue().name().toLowerCase(java.util.Locale.ROOT)
            + ", got "
            + v.getClass().getSimpleName();
      }
    }
    return null;
  }

  /** The first two tokens of a subject: {@code node.metrics.gpu-1} → {@code node.metrics}. */
  static String family(String subject) {
    int first = subject.indexOf('.');
    if (first < 0) {
      return subject;
    }
    int second = subject.indexOf('.', first + 1);
    return second < 0 ? subject : subject.substring(0, second);
  }

  private static String shortMessage(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    m = nl > 0 ? m.substring(0, nl) : m;
    return m.length() > 200 ? m.substring(0, 200) : m;
  }

  private static Result reject(
      Instant at, String subject, String reason, byte[] data, String msgId, Acker acker) {
    byte[] kept =
        data.length > Rejection.MAX_RAW_BYTES ? Arrays.copyOf(data, Rejection.MAX_RAW_BYTES) : data;
    return new Result(null, new Rejection(at, subject, reason, kept, data.length, msgId, acker));
  }
}
