package org.daarion.livingmap.source.nats;

import java.util.OptionalLong;

/**
 * Message ids of events taken from JetStream: {@code js:<stream>:<streamSeq>}. The prefix keeps
 * them apart from publisher-chosen {@code Nats-Msg-Id} values (core mode), so history can dedupe on
 * one column. The stream sequence is gap-free and ordered within a stream, so replicas reading the
 * same stream may use it as an ordering key.
 */
public final class JetStreamMsgIds {
  public static final String PREFIX = "js:";

  private JetStreamMsgIds() {}

  public static String of(String stream, long streamSeq) {
    return PREFIX + stream + ":" + streamSeq;
  }

  /** The stream sequence inside a JetStream message id, or empty for any other id (or null). */
  public static OptionalLong streamSequence(String msgId) {
    if (msgId == null || !msgId.startsWith(PREFIX)) {
      return OptionalLong.empty();
    }
    int colon = msgId.lastIndexOf(':');
    if (colon <= PREFIX.length() - 1) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(msgId.substring(colon + 1)));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
