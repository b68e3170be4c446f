package org.daarion.livingmap.config;

/** How events are taken from NATS. */
public enum NatsMode {
  /** Plain subscriptions, as the original service: events published while down are lost. */
  CORE,
  /** A durable JetStream consumer; a message is acknowledged only after it is in history. */
  JETSTREAM
}
