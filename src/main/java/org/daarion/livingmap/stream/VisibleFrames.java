package org.daarion.livingmap.stream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.visibility.Visibility;

/**
 * Event frames as one visibility class sees them. A frame about a hidden entity is not sent to the
 * class at all; a frame whose payload names one is encoded again without the reference, once per
 * class; any other frame is the shared frame itself, byte for byte.
 */
final class VisibleFrames {
  private VisibleFrames() {}

  /** {@code f} for {@code v}: itself, a redacted copy, or null when {@code v} may not see it. */
  static Frame view(Frame f, Visibility v) {
    Event e = f.event();
    if (v.isFull() || e == null) {
      return f;
    }
    if (v.hidesEvent(e.eventType(), e.entityId(), e.entityType())) {
      return null;
    }
    JsonObject json = new JsonObject(f.bytes());
    JsonObject r = v.event(json);
    if (r == null) {
      return null;
    }
    if (r == json) {
      return f;
    }
    return frame(e, r.toBuffer(), f.prevSeq());
  }

  /** {@code frames} for {@code v}, in order; the same list when nothing changes. */
  static List<Frame> view(List<Frame> frames, Visibility v) {
    if (v.isFull()) {
      return frames;
    }
    List<Frame> out = new ArrayList<>(frames.size());
    for (Frame f : frames) {
      Frame g = view(f, v);
      if (g != null) {
        out.add(g);
      }
    }
    return out;
  }

  /** One batch's frames per visibility class, each class computed at most once. */
  static final class PerClass {
    private final List<Frame> frames;
    private final Map<String, List<Frame>> views = new HashMap<>(4);

    PerClass(List<Frame> frames) {
      this.frames = frames;
    }

    List<Frame> of(Visibility v) {
      if (v.isFull()) {
        return frames;
      }
      return views.computeIfAbsent(v.key(), k -> view(frames, v));
    }
  }

  private static Frame frame(Event header, Buffer json, long prevSeq) {
    byte[] payload = json.getBytes();
    int n = payload.length;
    int h = Frame.headerLength(n);
    byte[] out = new byte[h + n];
    Frame.writeHeader(out, n);
    System.arraycopy(payload, 0, out, h, n);
    return Frame.framed(header, out, h, prevSeq);
  }
}
