package org.daarion.livingmap.source.bus;

/**
 * Publishes raw event bytes on a subject: the in-process bus in the embedded default, NATS
 * otherwise. Thread-safe. May block briefly when the receiver applies backpressure.
 */
public interface BusPublisher {
  /**
   * @param msgId an id for deduplication ({@code Nats-Msg-Id} on NATS), or null
   */
  void publish(String subject, byte[] data, String msgId);
}
