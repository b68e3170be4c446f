package org.daarion.livingmap.stream;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.wire.VertxInternals;
import org.daarion.livingmap.wire.VertxInternals.RawSocket;

/**
 * The send side of one connection (centrifuge's {@code writer.go}): the bounded queue the hub
 * fills, the replay of a resume, {@code max_rate} coalescing, and the writes to the socket. The
 * protocol ({@link StreamConnection}) decides what is sent and when the writer is live; the writer
 * decides how the bytes reach the socket.
 *
 * <p>Threads: {@link #offer} and {@link #resetQueue} run on the state owner's thread and touch only
 * the queue (under {@code lock}) and the volatile overflow flag; everything else runs on the
 * socket's Vert.x context.
 *
 * <p>Overflow policy: RESYNC. An offer that would take the queue past {@code queueCapacity} frames
 * or {@code queueBytes} bytes drops the whole queue and marks the writer {@link #overflowed()}; the
 * connection then asks for a resync snapshot (and closes with 4001 when that happens repeatedly).
 *
 * <p>Wire: a socket without a compression extension is written the prepared wire bytes of its
 * frames ({@link Frame#wire()}), gathered into one pooled direct buffer per drain (or, batched,
 * into one text frame whose header is filled in when it is written), through the socket's {@link
 * RawSocket}; writes are flushed once per drain by the context's {@link ContextDrainer}. So is a
 * permessage-deflate socket, with each event compressed once per event loop.
 */
final class StreamWriter {
  private static final int WIRE_CHUNK = 64 * 1024;

  /**
   * Frames written to one socket per turn of its context: a long backlog (a connect burst queues up
   * to 50,000 frames per socket while the snapshots go out) takes turns with the context's other
   * sockets, which also keeps them near one seq so {@link DeflatedFrames} compresses each event
   * once for all. Pumped whole, 100 permessage-deflate connects at 100x held an event loop 6.8 s at
   * a time and took 52-71 s (bench/scale.sh, 2026-12-07).
   */
  static final int TURN_FRAMES = 512;

  /** Bytes reserved at the start of a batch buffer for its frame header (2 or 4 bytes used). */
  private static final int BATCH_HEADER = 4;

  private final Context ctx;
  private final ServerWebSocket ws;
  private final StreamStats stats;
  private final StreamEndpoint.Settings settings;
  private final long maxRateMs;
  private final ContextDrainer drainer;
  private final Runnable scheduleDrain;

  /** The socket's channel, for writes flushed once per event-loop task; null: Vert.x writes. */
  private final RawSocket raw;

  /**
   * Whether prepared wire frames may be written past the socket's encoders: as they are (no
   * compression extension), or compressed once per context ({@link #deflateWire}).
   */
  private final boolean rawWire;

  /**
   * permessage-deflate: events compressed once per event loop ({@link DeflatedFrames}), the rest
   * here, each on its own; never the socket's encoder, whose messages refer back to its history.
   */
  private final boolean deflateWire;

  /**
   * Batched framing ({@code batch=1}): the events of a drain go out as newline-separated lines of
   * one text message instead of one message each.
   */
  private final boolean batch;

  // shared with the owner thread
  private final Object lock = new Object();
  private final ArrayDeque<List<Frame>> queue = new ArrayDeque<>(); // guarded by lock
  private int queuedFrames; // guarded by lock
  private long queuedBytes; // guarded by lock
  private volatile boolean overflowed;

  /** Frames in {@code queue} plus {@code pending}: the bounded send queue's length. */
  private final AtomicInteger depth = new AtomicInteger();

  /**
   * The same frames' bytes, bounded by {@code LIVING_MAP_WS_QUEUE_BYTES} with the RESYNC policy: a
   * count alone let a slow client hold thousands of 1 MiB frames.
   */
  private final AtomicLong depthBytes = new AtomicLong();

  // context-owned
  private boolean live;
  private boolean closed;
  private final ArrayDeque<List<Frame>> pending = new ArrayDeque<>();
  private int pendingIndex;
  private int pendingCounted; // frames of pending that count in depth
  private long pendingCountedBytes; // their bytes
  private final ArrayDeque<List<Frame>> replay = new ArrayDeque<>();

  /**
   * What this drain gathered for the socket, written in one call: prepared frames back to back, or
   * (batch) one text frame whose header is filled in when it is written. Pooled and direct, so the
   * transport writes it without another copy; released by the transport, or here on close.
   */
  private ByteBuf wireOut;

  private int wireFrames;
  private boolean unflushed;
  private boolean flushScheduled;

  /** Whether a message went through the socket's compression encoder. */
  private boolean encoderUsed;

  /** What to do when the socket accepts writes again (pump, or a waiting resync). */
  private Runnable onWritable;

  // max_rate coalescing
  private final LinkedHashMap<String, Frame> held = new LinkedHashMap<>();
  private long handedSeq;
  private long noteSeq;
  private long droppedSinceNote;

  /**
   * @param raw the socket's channel, or null to write through the Vert.x API
   * @param scheduleDrain asks for a drain on the context (the connection's drain, which pumps)
   */
  StreamWriter(
      Context ctx,
      ServerWebSocket ws,
      RawSocket raw,
      StreamStats stats,
      StreamEndpoint.Settings settings,
      long maxRateMs,
      boolean batch,
      ContextDrainer drainer,
      Runnable scheduleDrain) {
    this.ctx = ctx;
    this.ws = ws;
    this.raw = raw;
    this.stats = stats;
    this.settings = settings;
    this.maxRateMs = maxRateMs;
    this.batch = batch;
    this.drainer = drainer;
    this.scheduleDrain = scheduleDrain;
    this.deflateWire = raw != null && raw.deflates();
    this.rawWire = raw != null && (!raw.compressed() || deflateWire);
  }

  int depth() {
    return depth.get();
  }

  /** The queue overflowed since the last {@link #resetQueue}: the connection must resync. */
  boolean overflowed() {
    return overflowed;
  }

  // ---------------------------------------------------------------- owner thread

  /**
   * Appends one batch's frames; on the owner's thread. Returns false when the bound would be
   * exceeded: the queue is then dropped and the writer marked overflowed, and the drain it
   * schedules asks for a resync.
   */
  boolean offer(List<Frame> frames) {
    int n = frames.size();
    long b = 0;
    for (Frame f : frames) {
      b += f.bytes().length();
    }
    synchronized (lock) {
      if (overflowed) {
        return false;
      }
      // Strict, even for an empty queue: frames past the resume ring are held by this queue alone.
      if (depth.get() + n > settings.queueCapacity()
          || depthBytes.get() + b > settings.queueBytes()) {
        overflowed = true;
        dropQueue();
        stats.overflows.increment();
      } else {
        queue.add(frames);
        queuedFrames += n;
        queuedBytes += b;
        depthBytes.addAndGet(b);
        stats.queueDepth(depth.addAndGet(n));
      }
    }
    scheduleDrain.run();
    return !overflowed;
  }

  /** Drops what is queued; on the owner's thread, inside the command that resubscribes. */
  void resetQueue() {
    synchronized (lock) {
      dropQueue();
      overflowed = false;
    }
  }

  private void dropQueue() {
    synchronized (lock) {
      depth.addAndGet(-queuedFrames);
      depthBytes.addAndGet(-queuedBytes);
      queue.clear();
      queuedFrames = 0;
      queuedBytes = 0;
    }
  }

  // ---------------------------------------------------------------- context: phases

  /** Drops pending frames, the replay and coalesced frames; not live until {@link #goLive}. */
  void reset() {
    live = false;
    dropPending();
    onWritable = null;
  }

  /** Events after {@code seq} follow: the position {@code max_rate} notes count from. */
  void startAt(long seq) {
    handedSeq = seq;
    noteSeq = seq;
  }

  /** Frames to write before the queue (a resume's replay), this connection's own. */
  void replay(List<Frame> frames) {
    replay.add(frames);
  }

  void goLive() {
    live = true;
    pump();
  }

  /** The connection closed: drops everything and writes nothing more. */
  void close() {
    closed = true;
    live = false;
    dropPending();
    releaseWire();
    dropQueue();
  }

  private void dropPending() {
    depth.addAndGet(-pendingCounted);
    depthBytes.addAndGet(-pendingCountedBytes);
    pending.clear();
    pendingIndex = 0;
    pendingCounted = 0;
    pendingCountedBytes = 0;
    replay.clear();
    held.clear();
    droppedSinceNote = 0;
  }

  /** Runs {@code r} (once) when the socket accepts writes again. */
  void whenWritable(Runnable r) {
    onWritable = r;
  }

  /** The socket accepts writes again (its drain handler or the channel's writability). */
  void writable() {
    Runnable r = onWritable;
    onWritable = null;
    if (r != null && !closed) {
      r.run();
    }
  }

  /** Whether the socket's outbound buffer is over its high-water mark. */
  boolean socketFull() {
    return raw != null ? !raw.isWritable() : ws.writeQueueFull();
  }

  /** Whether a message went through the socket's compression encoder. */
  boolean encoderUsed() {
    return encoderUsed;
  }

  // ---------------------------------------------------------------- context: pumping

  /** Writes replay then queued frames while the socket accepts them, for one turn. */
  void pump() {
    int turn = 0;
    while (true) {
      if (pending.isEmpty()) {
        if (!replay.isEmpty()) {
          pending.add(replay.poll());
          pendingCounted = 0;
        } else {
          int taken = 0;
          long takenBytes = 0;
          synchronized (lock) {
            List<Frame> l;
            while ((l = queue.poll()) != null) {
              pending.add(l);
              taken += l.size();
            }
            queuedFrames = 0;
            takenBytes = queuedBytes;
            queuedBytes = 0;
          }
          pendingCounted = taken;
          pendingCountedBytes = takenBytes;
          if (pending.isEmpty()) {
            // Hand what this drain gathered to the socket now: nothing else is due to write it.
            writeWire();
            return;
          }
        }
        pendingIndex = 0;
      }
      List<Frame> head = pending.peek();
      while (pendingIndex < head.size()) {
        if (!batch && wireOut != null && wireOut.readableBytes() >= WIRE_CHUNK) {
          writeWire();
        }
        if (socketFull() && !flushedRoom()) {
          waitForSocket();
          return;
        }
        if (++turn > TURN_FRAMES) {
          writeWire();
          scheduleDrain.run();
          return;
        }
        Frame f = head.get(pendingIndex++);
        if (pendingCounted > 0) {
          pendingCounted--;
          depth.decrementAndGet();
          long fb = f.bytes().length();
          pendingCountedBytes -= fb;
          depthBytes.addAndGet(-fb);
        }
        deliver(f, head.size() - pendingIndex + 1);
      }
      pending.poll();
      pendingIndex = 0;
    }
  }

  private void waitForSocket() {
    onWritable =
        () -> {
          if (live) {
            pump();
          }
        };
  }

  /**
   * The outbound buffer is over its high-water mark, but possibly only with this drain's own
   * unflushed writes: hands them to the kernel now and says whether the socket took them. Without
   * this, a connection catching up after a stall would move one water mark of bytes per event-loop
   * round trip (the flush waits for the end of the drain) and overflow its queue.
   */
  private boolean flushedRoom() {
    writeWire();
    if (raw == null || !unflushed && !flushScheduled) {
      return false;
    }
    raw.flush();
    return !socketFull();
  }

  private void deliver(Frame f, int framesLeft) {
    if (f.event() != null) {
      if (maxRateMs > 0 && f.coalescible()) {
        Frame old = held.remove(f.event().entityId());
        if (old != null) {
          droppedSinceNote++;
          stats.coalescedDropped.increment();
        }
        held.put(f.event().entityId(), f);
        handedSeq = Math.max(handedSeq, f.seq());
        return;
      }
      handedSeq = Math.max(handedSeq, f.seq());
      if (rawWire && f.wire() != null) {
        if (!batch) {
          gatherWire(f, framesLeft);
          return;
        }
        if (f.bytes().length() < StreamConnection.MAX_BATCH_PAYLOAD) {
          gatherLine(f, framesLeft);
          return;
        }
      }
    }
    send(f.bytes());
  }

  /** The {@code max_rate} tick: the newest held frame per entity, then a {@code coalesced} note. */
  void flushCoalesced() {
    if (!live) {
      return;
    }
    if (!held.isEmpty()) {
      List<Frame> out = new ArrayList<>(held.values());
      held.clear();
      out.sort(Comparator.comparingLong(Frame::seq));
      for (Frame f : out) {
        if (rawWire && !batch && f.wire() != null) {
          gatherWire(f, 1);
        } else {
          send(f.bytes());
        }
      }
    }
    if (handedSeq > noteSeq) {
      send(Frames.coalesced(noteSeq + 1, handedSeq, droppedSinceNote));
      noteSeq = handedSeq;
      droppedSinceNote = 0;
    }
    writeWire();
  }

  // ---------------------------------------------------------------- context: the wire

  /**
   * Adds a prepared frame to this drain's single write; frames go out in order because everything
   * else written ({@link #send}) first writes what is gathered here. The copy into a pooled direct
   * buffer is the one the NIO transport would make of a heap buffer anyway.
   */
  private void gatherWire(Frame f, int framesLeft) {
    byte[] z = deflateWire ? drainer.deflated.wire(f) : null;
    int len = z != null ? z.length : f.wire().readableBytes();
    if (wireOut == null) {
      // Sized for the frames at hand, not a fixed chunk: a socket that does not read keeps this
      // buffer in its outbound queue.
      wireOut = raw.directBuffer((int) Math.min(WIRE_CHUNK, Math.max(1L, framesLeft) * len));
    }
    if (z != null) {
      wireOut.writeBytes(z);
    } else {
      copy(f.wire(), 0, len);
    }
    wireFrames++;
  }

  /**
   * Copies prepared bytes from their array: copying from the heap buffer itself would allocate an
   * NIO view per frame and socket (most of the write path's garbage).
   */
  private void copy(ByteBuf w, int offset, int len) {
    if (w.hasArray()) {
      wireOut.writeBytes(w.array(), w.arrayOffset() + w.readerIndex() + offset, len);
    } else {
      wireOut.writeBytes(w, w.readerIndex() + offset, len);
    }
  }

  /**
   * Adds an event as one line of this drain's batch frame (the same bytes as its own frame would
   * carry), starting a new frame when the line would take it over {@link
   * StreamConnection#MAX_BATCH_PAYLOAD}.
   */
  private void gatherLine(Frame f, int framesLeft) {
    ByteBuf w = f.wire();
    int len = f.bytes().length();
    int headerLen = w.readableBytes() - len;
    if (wireOut != null
        && wireOut.readableBytes() - BATCH_HEADER + 1 + len > StreamConnection.MAX_BATCH_PAYLOAD) {
      writeWire();
    }
    if (wireOut == null) {
      long want = BATCH_HEADER + Math.max(1L, framesLeft) * (len + 1);
      wireOut =
          raw.directBuffer((int) Math.min(BATCH_HEADER + StreamConnection.MAX_BATCH_PAYLOAD, want));
      wireOut.writerIndex(BATCH_HEADER);
    } else {
      wireOut.writeByte('\n');
    }
    copy(w, headerLen, len);
    wireFrames++;
  }

  private void writeWire() {
    if (wireOut == null) {
      return;
    }
    ByteBuf out = wireOut;
    wireOut = null;
    if (batch) {
      // The header goes right before the payload in the reserved bytes, at its minimal length
      // (RFC 6455 5.2): 2 bytes under 126 payload bytes, else 4.
      int n = out.readableBytes() - BATCH_HEADER;
      if (n < 126) {
        out.setByte(2, 0x81);
        out.setByte(3, n);
        out.readerIndex(2);
      } else {
        out.setByte(0, 0x81);
        out.setByte(1, 126);
        out.setShort(2, n);
      }
      stats.batchesSent.increment();
    }
    stats.framesSent.add(wireFrames);
    stats.bytesSent.add(out.readableBytes());
    wireFrames = 0;
    raw.write(out);
    markUnflushed();
  }

  /** Drops what was gathered but not written (the connection closed). */
  private void releaseWire() {
    if (wireOut != null) {
      wireOut.release();
      wireOut = null;
      wireFrames = 0;
    }
  }

  private void markUnflushed() {
    if (drainer.running()) {
      if (!unflushed) {
        unflushed = true;
        drainer.wrote(this);
      }
    } else if (!flushScheduled) {
      flushScheduled = true;
      ctx.runOnContext(
          v -> {
            flushScheduled = false;
            writeWire();
            raw.flush();
          });
    }
  }

  /** Flushes what was written inside a drainer task; called by the drainer at its end. */
  void flushNow() {
    writeWire();
    if (unflushed) {
      unflushed = false;
      if (!closed) {
        raw.flush();
      }
    }
  }

  /** Writes one text message from shared bytes without copying them. */
  void send(Buffer b) {
    if (closed) {
      return;
    }
    if (deflateWire) {
      writeWire();
      Buffer z = drainer.deflated.message(b);
      raw.writeText(z, true);
      markUnflushed();
      stats.framesSent.increment();
      stats.bytesSent.add(z.length());
      return;
    }
    encoderUsed = true;
    int len = b.length();
    if (raw != null) {
      writeWire();
      // Written straight to the channel and flushed once per event-loop task, so a drain of many
      // frames costs one system call, not one per frame. The buffer's bytes are shared, not copied.
      raw.writeText(b, false);
      markUnflushed();
    } else {
      VertxInternals.writeText(ws, b);
    }
    stats.framesSent.increment();
    stats.bytesSent.add(len);
  }

  /**
   * Writes a message compressed once for every socket ({@link
   * org.daarion.livingmap.state.PreparedSnapshot#deflateMessage}): RSV1 set on its first frame, so
   * the socket's own deflate encoder passes it on untouched. Only as the first message through that
   * encoder (see {@link #encoderUsed()}): the encoder's later messages may refer back only to what
   * it compressed itself, and it has compressed nothing before (the client's window then holds this
   * message too, which the encoder never refers to).
   */
  void sendDeflated(Buffer b) {
    if (closed) {
      return;
    }
    writeWire();
    raw.writeText(b, true);
    markUnflushed();
    stats.framesSent.increment();
    stats.bytesSent.add(b.length());
  }
}
