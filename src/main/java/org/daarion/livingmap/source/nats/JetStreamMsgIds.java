package org.daarion.livingmap.source.nats;

import java.util.OptionalLong;

/**
 * Message ids of events taken from JetStream: {@code js:<epoch>:<streamSeq>}, where the epoch is
 * {@code <stream>-<creation time in ms>} ({@link #epoch}). The prefix keeps them apart from
 * publisher-chosen {@code Nats-Msg-Id} values (core mode), so history can dedupe on one column. The
 * stream sequence is gap-free and ordered within a stream, so replicas reading the same stream may
 * use it as an ordering key; the epoch keeps a recreated stream's sequences, which start again at
 * 1, apart from the old stream's in history.
 *
 * <p>Before issue 17 the id was {@code js:<stream>:<streamSeq>} (no creation time). Such rows are
 * still read ({@link #streamSequence} takes the number after the last colon in both forms); a
 * redelivery of a message stored under the old form is kept out by history's unique {@code (epoch,
 * seq)} in cluster mode, where seq is the stream sequence (see docs/OPERATIONS.md, upgrading).
 */
public final class JetStreamMsgIds {
  public static final String PREFIX = "js:";

  private JetStreamMsgIds() {}

  /** The epoch of a stream created at {@code createdMillis}: the same on every replica. */
  public static String epoch(String stream, long createdMillis) {
    return stream + "-" + createdMillis;
  }

  /** The id of the message at {@code streamSeq} of the stream whose epoch is {@code epoch}. */
  public static String of(String epoch, long streamSeq) {
    return PREFIX + epoch + ":" + streamSeq;
  }

  /**
   * The epoch inside a JetStream message id of the current form, or null for any other id (an old
   * {@code js:<stream>:<seq>} one included: its epoch is not in it). {@code stream} is the stream
   * the id is known to come from, so that a stream name with dashes or colons is not misread.
   */
  public static String epochOf(String msgId, String stream) {
    if (msgId == null || !msgId.startsWith(PREFIX + stream + "-")) {
      return null;
    }
    int colon = msgId.lastIndexOf(':');
    int dash = PREFIX.length() + stream.length();
    if (colon <= dash + 1) {
      return null;
    }
    for (int i = dash + 1; i < colon; i++) {
      if (!Character.isDigit(msgId.charAt(i))) {
        return null;
      }
    }
    return msgId.substring(PREFIX.length(), colon);
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
