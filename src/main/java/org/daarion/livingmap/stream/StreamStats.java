package org.daarion.livingmap.stream;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the stream, for metrics and tests. Thread-safe; every getter is cheap, so a metrics
 * registry can poll them (Micrometer {@code FunctionCounter} / {@code Gauge}).
 */
public final class StreamStats {
  final AtomicInteger connections = new AtomicInteger();
  final LongAdder connectionsTotal = new LongAdder();
  final LongAdder rejectedCap = new LongAdder();
  final LongAdder rejectedBadRequest = new LongAdder();
  final LongAdder rejectedAuth = new LongAdder();
  final LongAdder framesSent = new LongAdder();
  final LongAdder batchesSent = new LongAdder();
  final LongAdder bytesSent = new LongAdder();
  final LongAdder eventsPublished = new LongAdder();
  final LongAdder snapshotsSent = new LongAdder();
  final LongAdder resyncs = new LongAdder();
  final LongAdder overflows = new LongAdder();
  final LongAdder resumes = new LongAdder();
  final LongAdder resumesFromHistory = new LongAdder();
  final LongAdder replayedFrames = new LongAdder();
  final LongAdder coalescedDropped = new LongAdder();
  final LongAdder errorsSent = new LongAdder();
  final LongAdder framesDeflated = new LongAdder();
  final AtomicLong maxQueueDepth = new AtomicLong();
  final ConcurrentHashMap<Integer, LongAdder> closesByCode = new ConcurrentHashMap<>();

  /** Open WebSocket connections. */
  public int connections() {
    return connections.get();
  }

  public long connectionsTotal() {
    return connectionsTotal.sum();
  }

  /** Upgrades refused with HTTP 503 because of the connection cap. */
  public long rejectedCap() {
    return rejectedCap.sum();
  }

  /** Upgrades refused with HTTP 400 (invalid filter or position parameters). */
  public long rejectedBadRequest() {
    return rejectedBadRequest.sum();
  }

  public long rejectedAuth() {
    return rejectedAuth.sum();
  }

  /**
   * Messages written to sockets (all kinds); with batched framing each event line counts as one.
   */
  public long framesSent() {
    return framesSent.sum();
  }

  /**
   * Batch text messages written to {@code batch=1} connections (each holds one or more of the
   * events counted in {@link #framesSent}).
   */
  public long batchesSent() {
    return batchesSent.sum();
  }

  public long bytesSent() {
    return bytesSent.sum();
  }

  /** Events serialised by the hub (once each, whatever the number of sockets). */
  public long eventsPublished() {
    return eventsPublished.sum();
  }

  public long snapshotsSent() {
    return snapshotsSent.sum();
  }

  /** Snapshots sent with {@code reason:"resync"} (overflow, stale position, epoch change). */
  public long resyncs() {
    return resyncs.sum();
  }

  /** Send-queue overflows (each one leads to a resync or a 4001 close). */
  public long overflows() {
    return overflows.sum();
  }

  /** Resumes served without a snapshot. */
  public long resumes() {
    return resumes.sum();
  }

  public long resumesFromHistory() {
    return resumesFromHistory.sum();
  }

  public long replayedFrames() {
    return replayedFrames.sum();
  }

  /** Metric events superseded by a later one on {@code max_rate} connections. */
  public long coalescedDropped() {
    return coalescedDropped.sum();
  }

  public long errorsSent() {
    return errorsSent.sum();
  }

  /**
   * Messages compressed for permessage-deflate sockets: an event once per event loop that has such
   * sockets (not once per socket), a control message once per socket.
   */
  public long framesDeflated() {
    return framesDeflated.sum();
  }

  /** The longest any connection's send queue has been, in frames (never above the bound). */
  public long maxQueueDepth() {
    return maxQueueDepth.get();
  }

  /** Closes by WebSocket close code (server- and client-initiated). */
  public Map<Integer, Long> closesByCode() {
    Map<Integer, Long> out = new TreeMap<>();
    closesByCode.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  public long closes(int code) {
    LongAdder a = closesByCode.get(code);
    return a == null ? 0 : a.sum();
  }

  void close(int code) {
    closesByCode.computeIfAbsent(code, k -> new LongAdder()).increment();
  }

  void queueDepth(long depth) {
    long cur;
    while (depth > (cur = maxQueueDepth.get())) {
      if (maxQueueDepth.compareAndSet(cur, depth)) {
        return;
      }
    }
  }
}
