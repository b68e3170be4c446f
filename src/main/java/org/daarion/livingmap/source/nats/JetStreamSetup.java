package org.daarion.livingmap.source.nats;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.util.List;
import java.util.Objects;
import org.daarion.livingmap.event.Subject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the JetStream stream and the durable pull consumer of the {@link JetStreamPuller}
 * exist as configured, and reads the stream's epoch (its creation time, see {@link
 * JetStreamMsgIds}). Called on the pull thread only.
 */
final class JetStreamSetup {
  private static final Logger log = LoggerFactory.getLogger(JetStreamPuller.class);
  static final int STREAM_NOT_FOUND = 10059;
  static final int CONSUMER_NOT_FOUND = 10014;

  private final String stream;
  private final String durable;
  private final List<String> subjects;
  private final boolean createStream;
  private final NatsTuning tuning;
  private boolean missingSubjectsLogged;

  JetStreamSetup(
      String stream,
      String durable,
      List<String> subjects,
      boolean createStream,
      NatsTuning tuning) {
    this.stream = stream;
    this.durable = durable;
    this.subjects = subjects;
    this.createStream = createStream;
    this.tuning = tuning;
  }

  /** The stream's epoch now; throws when it is gone. */
  String currentEpoch(JetStreamManagement jsm) throws Exception {
    return epochOf(jsm.getStreamInfo(stream));
  }

  String epochOf(StreamInfo info) {
    return JetStreamMsgIds.epoch(stream, info.getCreateTime().toInstant().toEpochMilli());
  }

  /** Makes sure the stream exists and returns its epoch. */
  String ensureStream(JetStreamManagement jsm) throws Exception {
    StreamInfo info;
    try {
      info = jsm.getStreamInfo(stream);
    } catch (JetStreamApiException e) {
      if (!isNotFound(e, STREAM_NOT_FOUND)) {
        throw e;
      }
      if (!createStream) {
        throw new IllegalStateException(
            "JetStream stream "
                + stream
                + " does not exist and LIVING_MAP_NATS_CREATE_STREAM is false: create it to"
                + " cover "
                + subjects);
      }
      StreamConfiguration sc = tuning.streamConfiguration(stream, subjects);
      try {
        StreamInfo created = jsm.addStream(sc);
        log.info("created JetStream stream {} for {}", stream, subjects);
        return epochOf(created);
      } catch (JetStreamApiException ce) {
        throw new IllegalStateException(
            "cannot create JetStream stream "
                + stream
                + " for "
                + subjects
                + ": "
                + ce.getMessage()
                + " (another stream may already cover some of these subjects: configure"
                + " LIVING_MAP_NATS_STREAM to use it)",
            ce);
      }
    }
    List<String> have = info.getConfiguration().getSubjects();
    List<String> missing = subjects.stream().filter(s -> !Subject.coveredByAny(s, have)).toList();
    if (!missing.isEmpty() && !missingSubjectsLogged) {
      missingSubjectsLogged = true;
      log.warn(
          "JetStream stream {} covers {} but not {}: events on those subjects are NOT ingested."
              + " Add them to the stream (e.g. nats stream edit {} --subjects ...) or point"
              + " LIVING_MAP_NATS_STREAM at a stream that has them.",
          stream,
          have,
          missing,
          stream);
    }
    return epochOf(info);
  }

  /** Makes sure the durable consumer exists with the configured settings (updated if it can be). */
  ConsumerConfiguration ensureConsumer(JetStreamManagement jsm) throws Exception {
    String filter = subjects.size() == 1 ? subjects.get(0) : null;
    ConsumerConfiguration wanted =
        ConsumerConfiguration.builder()
            .durable(durable)
            .ackPolicy(AckPolicy.Explicit)
            .ackWait(tuning.ackWait())
            .maxAckPending(tuning.maxAckPending())
            .deliverPolicy(DeliverPolicy.All)
            .filterSubject(filter)
            .build();
    ConsumerInfo existing;
    try {
      existing = jsm.getConsumerInfo(stream, durable);
    } catch (JetStreamApiException e) {
      if (!isNotFound(e, CONSUMER_NOT_FOUND)) {
        throw e;
      }
      ConsumerInfo created = jsm.addOrUpdateConsumer(stream, wanted);
      log.info("created JetStream durable consumer {} on {}", durable, stream);
      return created.getConsumerConfiguration();
    }
    ConsumerConfiguration have = existing.getConsumerConfiguration();
    boolean differs =
        !Objects.equals(have.getAckWait(), tuning.ackWait())
            || have.getMaxAckPending() != tuning.maxAckPending()
            || !Objects.equals(emptyToNull(have.getFilterSubject()), filter);
    if (differs) {
      try {
        return jsm.addOrUpdateConsumer(stream, wanted).getConsumerConfiguration();
      } catch (JetStreamApiException e) {
        log.warn(
            "JetStream consumer {}/{} exists with other settings (ack wait {}, max ack pending {},"
                + " filter {}) and cannot be updated ({}); using it as it is",
            stream,
            durable,
            have.getAckWait(),
            have.getMaxAckPending(),
            have.getFilterSubject(),
            e.getMessage());
      }
    }
    return have;
  }

  static boolean isNotFound(JetStreamApiException e, int apiCode) {
    return e.getApiErrorCode() == apiCode || e.getErrorCode() == 404;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
