package org.daarion.livingmap.source.nats;

import java.util.Locale;

/** The state of a NATS connection as health reports it. */
public enum NatsStatus {
  /** Started, never connected yet: the first connect keeps retrying in the background. */
  CONNECTING,
  CONNECTED,
  /** The connection dropped and the client is reconnecting (it never gives up). */
  RECONNECTING,
  /** Between a drop and the next reconnect attempt. */
  DISCONNECTED,
  /** Closed by {@code close()}; final. */
  CLOSED;

  /** Lower-case name for JSON ({@code connected}, {@code reconnecting}, …). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
