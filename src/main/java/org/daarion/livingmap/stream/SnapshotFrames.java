package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import org.daarion.livingmap.state.PreparedSnapshot;
import org.daarion.livingmap.state.Snapshot;
import org.daarion.livingmap.state.StateCut;
import org.daarion.livingmap.visibility.Visibility;

/**
 * The hub's snapshot frames: a snapshot's data for one filter and visibility class, framed once per
 * (version, reason, filter, class) and shared by every connection that asks for the same, from a
 * prepared snapshot or from a cut of the hub's own. Called on the hub's snapshot executor, from
 * several threads at once.
 */
final class SnapshotFrames {
  /**
   * Frames by key: a connect burst shares one frame. 48 MiB holds five whole frames at 100x DAARION
   * (~9 MB each); 32 by count alone would be ~280 MB.
   */
  private final FrameCache cache = new FrameCache(32, 48L * 1024 * 1024);

  /**
   * The snapshot frame of {@code prepared} for one filter and reason (a reason ending in {@code
   * /deflate}: that frame compressed for permessage-deflate), built once and shared.
   */
  Buffer prepared(
      PreparedSnapshot prepared, StreamFilter filter, Visibility visibility, String reason) {
    // One thread builds a version's frames at a time: a burst of connects waits for the one
    // encoding instead of repeating it.
    synchronized (prepared) {
      return preparedFrameLocked(prepared, filter, visibility, reason);
    }
  }

  private Buffer preparedFrameLocked(
      PreparedSnapshot prepared, StreamFilter filter, Visibility visibility, String reason) {
    String key =
        "p/"
            + prepared.epoch()
            + "/"
            + prepared.seq()
            + "/"
            + prepared.version()
            + "/"
            + reason
            + "/"
            + filter.key()
            + "/"
            + visibility.key();
    Buffer cached = cachedFrame(key);
    if (cached != null) {
      return cached;
    }
    String generation = prepared.epoch() + "/" + prepared.version();
    Buffer frame;
    if (reason != null && reason.endsWith("/deflate")) {
      String plain = reason.substring(0, reason.length() - "/deflate".length());
      String plainReason = "null".equals(plain) ? null : plain;
      frame =
          visibility.isFull() && unfiltered(filter)
              // The snapshot's own compressed bytes, spliced: not inflated, not compressed again.
              ? prepared.deflateFullMessage(
                  Frames.snapshotHead(prepared.seq(), prepared.epoch(), plainReason),
                  Frames.snapshotTail())
              : PreparedSnapshot.deflateMessage(
                  prepared(prepared, filter, visibility, plainReason));
    } else {
      Buffer data =
          visibleData(prepared.snapshot()::json, prepared.full().identity(), filter, visibility);
      frame = Frames.snapshot(prepared.seq(), prepared.epoch(), reason, data);
    }
    return cacheFrame(key, frame, generation);
  }

  /**
   * The snapshot frame for one (cut, filter, reason), built once and shared by every connection
   * that asks for the same. The frame's {@code seq} is the cut's (the snapshot's own {@code seq}
   * field may be lower when the events in between changed no entity).
   */
  Buffer ofCut(
      Snapshot snap, StateCut cut, StreamFilter filter, Visibility visibility, String reason) {
    String key =
        cut.epoch()
            + "/"
            + cut.seq()
            + "/"
            + snap.version()
            + "/"
            + reason
            + "/"
            + filter.key()
            + "/"
            + visibility.key();
    Buffer cached = cachedFrame(key);
    if (cached != null) {
      return cached;
    }
    Buffer frame =
        Frames.snapshot(
            cut.seq(),
            cut.epoch(),
            reason,
            visibleData(snap::json, snap.bytes(), filter, visibility));
    return cacheFrame(key, frame, cut.epoch() + "/" + snap.version());
  }

  /**
   * The snapshot data a connection with {@code filter} of the class {@code visibility} is sent:
   * {@code fullBytes} as they are when neither reduces anything. The tree is asked for only when
   * something is reduced: at 100x DAARION it is 7.9 MB parsed into a tree the snapshot then keeps,
   * and parsing it for unfiltered connects was 4.4 % of the service's allocation under the scale
   * benchmark (JFR, 2026-12-06).
   */
  private static Buffer visibleData(
      Supplier<JsonObject> tree, Buffer fullBytes, StreamFilter filter, Visibility visibility) {
    boolean unfiltered = unfiltered(filter);
    Buffer data;
    if (visibility.isFull()) {
      data = unfiltered ? fullBytes : SnapshotFilter.apply(tree.get(), filter).toBuffer();
    } else {
      JsonObject seen = visibility.snapshot(tree.get());
      if (!unfiltered) {
        seen = SnapshotFilter.apply(seen, filter);
        // meta.filter echoes what the client asked for, which may name a hidden entity.
        JsonObject meta = seen.getJsonObject("meta");
        if (meta != null) {
          JsonObject shown = visibility.redact(meta);
          seen.put("meta", shown == null ? new JsonObject() : shown);
        }
      }
      data = seen.toBuffer();
    }
    return data;
  }

  private static boolean unfiltered(StreamFilter filter) {
    return filter.layers().isEmpty() && filter.types().isEmpty() && filter.entities().isEmpty();
  }

  /** A snapshot frame built earlier for {@code key}, or null. */
  private Buffer cachedFrame(String key) {
    return cache.get(key);
  }

  /** Keeps {@code frame} for the next connection that asks for {@code key}; returns it. */
  private Buffer cacheFrame(String key, Buffer frame, String generation) {
    cache.put(key, frame, generation);
    return frame;
  }
}
