package org.daarion.livingmap.event;

/**
 * Takes events that failed validation. Called from the source's thread; must not block for long.
 * The implementation keeps the rejection (bounded) and acknowledges it to its source once kept.
 */
public interface RejectedSink {
  void reject(Rejection rejection);
}
