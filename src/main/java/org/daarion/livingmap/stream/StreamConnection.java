package org.daarion.livingmap.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.visibility.Visibility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket client (centrifuge's {@code client.go} + {@code writer.go}). Everything here runs
 * on the socket's Vert.x context except {@link #offer}, {@link #resetQueue} and {@link
 * #requestResync}, which the hub calls on the state owner's thread; they touch only the bounded
 * queue (under {@code lock}) and volatile flags, and schedule at most one drain on the context.
 *
 * <p>Phases: NEW (waiting up to the resume window for a first {@code resume} op), SYNCING (a
 * subscription was asked for; live frames wait in the queue while the snapshot or replay is
 * prepared), LIVE, CLOSED.
 */
final class StreamConnection {
  private static final Logger log = LoggerFactory.getLogger(StreamConnection.class);
  private static final int FRAGMENT = 64 * 1024;
  private static final long CLOSE_GRACE_MS = 2000;
  private static final int WIRE_CHUNK = 64 * 1024;

  /**
   * Largest payload of a batch frame: 65,535 bytes keep the frame header at 4 bytes and the frame
   * within the 64 KiB frame limit most WebSocket clients default to (the Vert.x client's included).
   */
  static final int MAX_BATCH_PAYLOAD = 65_535;

  /** Bytes reserved at the start of a batch buffer for its frame header (2 or 4 bytes used). */
  private static final int BATCH_HEADER = 4;

  enum Phase {
    NEW,
    SYNCING,
    LIVE,
    CLOSED
  }

  private final long id;
  private final Vertx vertx;
  private final Context ctx;
  private final ServerWebSocket ws;
  private final StreamHub hub;
  private final StreamStats stats;
  private final StreamEndpoint.Settings settings;
  private final Clock clock;
  private final long maxRateMs;
  private final Runnable onClosed;
  private final ContextDrainer drainer;
  private boolean unflushed;

  /** Whether prepared wire frames may be written as they are (no compression extension). */
  private final boolean rawWire;

  /**
   * Batched framing ({@code batch=1}): the events of a drain go out as newline-separated lines of
   * one text message instead of one message each.
   */
  private final boolean batch;

  /**
   * What this drain gathered for the socket, written in one call: prepared frames back to back, or
   * (batch) one text frame whose header is filled in when it is written. Pooled and direct, so the
   * transport writes it without another copy; released by the transport, or here on close.
   */
  private ByteBuf wireOut;

  private int wireFrames;

  // shared with the owner thread
  private volatile StreamFilter filter;
  private volatile boolean closed;
  private volatile boolean overflowed;
  private volatile boolean resyncRequested;

  /** Owner-thread only: whether the hub's subscriber list holds this connection. */
  boolean subscribed;

  private final Object lock = new Object();
  private final ArrayDeque<List<Frame>> queue = new ArrayDeque<>(); // guarded by lock
  private int queuedFrames; // guarded by lock

  /** Frames in {@code queue} plus {@code pending}: the bounded send queue's length. */
  private final AtomicInteger depth = new AtomicInteger();

  /**
   * The same frames' bytes, bounded by {@code LIVING_MAP_WS_QUEUE_BYTES} with the RESYNC policy: a
   * count alone let a slow client hold thousands of 1 MiB frames.
   */
  private final AtomicLong depthBytes = new AtomicLong();

  private long queuedBytes; // guarded by lock

  private final AtomicBoolean drainScheduled = new AtomicBoolean();

  // context-owned
  private Phase phase = Phase.NEW;
  private final ArrayDeque<List<Frame>> pending = new ArrayDeque<>();
  private int pendingIndex;
  private int pendingCounted; // frames of pending that count in depth
  private long pendingCountedBytes; // their bytes
  private final ArrayDeque<List<Frame>> replay = new ArrayDeque<>();
  private int syncGen;
  private long lastSeen;
  private long pingTimer = -1;
  private long windowTimer = -1;
  private long flushTimer = -1;
  private long resyncTimer = -1;

  /** What to do when the socket accepts writes again (pump, or a waiting resync). */
  private Runnable onWritable;

  private boolean flushScheduled;

  /** Whether a message went through the socket's compression encoder (context-owned). */
  private boolean encoderUsed;

  /**
   * Netty's context of the socket, for writes flushed once per event-loop task; null: Vert.x
   * writes.
   */
  private final ChannelHandlerContext chctx;

  private short serverCloseCode;
  private final ArrayDeque<Long> overflowTimes = new ArrayDeque<>();
  private final ArrayDeque<Long> badFrameTimes = new ArrayDeque<>();
  private final ArrayDeque<Long> messageTimes = new ArrayDeque<>();
  private final StreamSession session;
  private final Visibility visibility;
  // max_rate coalescing
  private final LinkedHashMap<String, Frame> held = new LinkedHashMap<>();
  private long handedSeq;
  private long noteSeq;
  private long droppedSinceNote;

  StreamConnection(
      long id,
      Vertx vertx,
      Context ctx,
      ServerWebSocket ws,
      StreamHub hub,
      StreamStats stats,
      StreamEndpoint.Settings settings,
      Clock clock,
      StreamFilter filter,
      long maxRateMs,
      boolean batch,
      ChannelHandlerContext chctx,
      ContextDrainer drainer,
      Runnable onClosed,
      StreamSession session) {
    this.session = session;
    this.visibility = session.visibility();
    this.drainer = drainer;
    this.id = id;
    this.vertx = vertx;
    this.ctx = ctx;
    this.ws = ws;
    this.hub = hub;
    this.stats = stats;
    this.settings = settings;
    this.clock = clock;
    this.filter = filter;
    this.maxRateMs = maxRateMs;
    this.batch = batch;
    this.onClosed = onClosed;
    this.chctx = chctx;
    this.rawWire = chctx != null && !compressed(chctx);
  }

  StreamFilter filter() {
    return filter;
  }

  /** The caller's visibility class (fixed at connect). */
  Visibility visibility() {
    return visibility;
  }

  /**
   * Whether the socket negotiated permessage-deflate, so that its first snapshot can go out
   * precompressed: its pipeline holds the extension's encoder. Looked up each time rather than
   * taken from {@link #rawWire}: the extension's handshake handler (a "compression" handler that
   * plain sockets have too, for a moment) must not pass for the encoder. Any thread.
   */
  boolean deflates() {
    if (chctx == null) {
      return false;
    }
    for (var e : chctx.pipeline()) {
      if (e.getValue().getClass().getSimpleName().equals("PerMessageDeflateEncoder")) {
        return true;
      }
    }
    return false;
  }

  boolean isClosed() {
    return closed;
  }

  /** Frames waiting to be written (queue plus taken but unwritten); never above the bound. */
  int depth() {
    return depth.get();
  }

  /** Bytes of those frames; never above the byte bound. */
  long depthBytes() {
    return depthBytes.get();
  }

  // ---------------------------------------------------------------- owner thread

  /**
   * Appends one batch's frames for this connection; on the owner's thread. Returns false when the
   * bound would be exceeded: the queue is then dropped, the connection is marked overflowed and
   * must be unsubscribed by the caller; the drain it schedules asks for a resync.
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
        depth.addAndGet(-queuedFrames);
        depthBytes.addAndGet(-queuedBytes);
        queue.clear();
        queuedFrames = 0;
        queuedBytes = 0;
        stats.overflows.increment();
      } else {
        queue.add(frames);
        queuedFrames += n;
        queuedBytes += b;
        depthBytes.addAndGet(b);
        stats.queueDepth(depth.addAndGet(n));
      }
    }
    scheduleDrain();
    return !overflowed;
  }

  /** Drops what is queued; on the owner's thread, inside the command that resubscribes. */
  void resetQueue() {
    synchronized (lock) {
      depth.addAndGet(-queuedFrames);
      depthBytes.addAndGet(-queuedBytes);
      queue.clear();
      queuedFrames = 0;
      queuedBytes = 0;
      overflowed = false;
    }
  }

  /** The hub's position moved (new epoch): ask for a resync snapshot. Any thread. */
  void requestResync() {
    resyncRequested = true;
    scheduleDrain();
  }

  private void scheduleDrain() {
    if (drainScheduled.compareAndSet(false, true)) {
      drainer.schedule(this);
    }
  }

  /** Called by the context's drainer. */
  void drainNow() {
    drain();
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
            chctx.flush();
          });
    }
  }

  /** Flushes what {@link #send} wrote inside a drainer task. */
  void flushNow() {
    writeWire();
    if (unflushed) {
      unflushed = false;
      if (phase != Phase.CLOSED) {
        chctx.flush();
      }
    }
  }

  // ---------------------------------------------------------------- context

  void start(String resumeEpoch, long sinceSeq) {
    lastSeen = System.nanoTime();
    if (chctx != null) {
      chctx
          .pipeline()
          .addBefore(
              chctx.name(),
              "living-map-writability",
              new ChannelInboundHandlerAdapter() {
                @Override
                public void channelWritabilityChanged(ChannelHandlerContext c) {
                  if (c.channel().isWritable()) {
                    ctx.runOnContext(v -> writable());
                  }
                  c.fireChannelWritabilityChanged();
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                  if (cause instanceof CorruptedWebSocketFrameException bad) {
                    // Vert.x answers a frame the decoder refuses (over the transport limit,
                    // unmasked, bad opcode) by dropping the TCP connection at once: a client
                    // still sending gets a reset and never the close code. The close frame goes
                    // out instead, and the decoder, now discarding, keeps reading until the
                    // client closes or the close grace ends.
                    ctx.runOnContext(v -> onCorruptFrame(bad));
                    return;
                  }
                  c.fireExceptionCaught(cause);
                }
              });
    } else {
      ws.drainHandler(v -> writable());
    }
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(
        b -> onBadFrame("binary frames are not accepted; send JSON text", 400, null));
    ws.pongHandler(b -> lastSeen = System.nanoTime());
    ws.closeHandler(v -> onClose());
    ws.exceptionHandler(
        err -> {
          if (err instanceof IllegalStateException
              && String.valueOf(err.getMessage()).contains("max message size")) {
            // Vert.x drops a fragmented message over the transport limit without a word
            close(CloseCodes.MESSAGE_TOO_BIG, "message too big");
          } else {
            log.debug("stream connection {} failed: {}", id, err.toString());
          }
        });
    long ping = settings.pingInterval().toMillis();
    pingTimer = vertx.setPeriodic(ping, ping, t -> onPing());
    if (maxRateMs > 0) {
      flushTimer = vertx.setPeriodic(maxRateMs, t -> flushCoalesced());
    }
    if (sinceSeq >= 0) {
      startSync(resumeEpoch, sinceSeq, null);
    } else if (settings.resumeWindow().isZero()) {
      startSync(null, -1, null);
    } else {
      windowTimer =
          vertx.setTimer(
              settings.resumeWindow().toMillis(),
              t -> {
                windowTimer = -1;
                if (phase == Phase.NEW) {
                  startSync(null, -1, null);
                }
              });
    }
  }

  private void drain() {
    drainScheduled.set(false);
    if (phase == Phase.CLOSED || phase == Phase.NEW) {
      return;
    }
    if (resyncRequested) {
      resyncRequested = false;
      startSync(null, -1, "resync");
      return;
    }
    if (overflowed) {
      onOverflow();
      return;
    }
    if (phase == Phase.LIVE) {
      pump();
    }
  }

  /** Writes replay then queued frames while the socket accepts them. */
  private void pump() {
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

  /**
   * Adds a prepared frame to this drain's single write; frames go out in order because everything
   * else written ({@link #send}) first writes what is gathered here. The copy into a pooled direct
   * buffer is the one the NIO transport would make of a heap buffer anyway.
   */
  private void gatherWire(Frame f, int framesLeft) {
    ByteBuf w = f.wire();
    int len = w.readableBytes();
    if (wireOut == null) {
      // Sized for the frames at hand, not a fixed chunk: a socket that does not read keeps this
      // buffer in its outbound queue.
      wireOut =
          chctx.alloc().directBuffer((int) Math.min(WIRE_CHUNK, Math.max(1L, framesLeft) * len));
    }
    copy(w, 0, len);
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
   * carry), starting a new frame when the line would take it over {@link #MAX_BATCH_PAYLOAD}.
   */
  private void gatherLine(Frame f, int framesLeft) {
    ByteBuf w = f.wire();
    int len = f.bytes().length();
    int headerLen = w.readableBytes() - len;
    if (wireOut != null && wireOut.readableBytes() - BATCH_HEADER + 1 + len > MAX_BATCH_PAYLOAD) {
      writeWire();
    }
    if (wireOut == null) {
      long want = BATCH_HEADER + Math.max(1L, framesLeft) * (len + 1);
      wireOut = chctx.alloc().directBuffer((int) Math.min(BATCH_HEADER + MAX_BATCH_PAYLOAD, want));
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
    chctx.write(out, chctx.voidPromise());
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

  /**
   * The outbound buffer is over its high-water mark, but possibly only with this drain's own
   * unflushed writes: hands them to the kernel now and says whether the socket took them. Without
   * this, a connection catching up after a stall would move one water mark of bytes per event-loop
   * round trip (the flush waits for the end of the drain) and overflow its queue.
   */
  private boolean flushedRoom() {
    writeWire();
    if (chctx == null || !unflushed && !flushScheduled) {
      return false;
    }
    chctx.flush();
    return !socketFull();
  }

  private void waitForSocket() {
    onWritable =
        () -> {
          if (phase == Phase.LIVE) {
            pump();
          }
        };
  }

  /**
   * Whether a WebSocket compression extension sits in the pipeline (then frames must be encoded).
   */
  private static boolean compressed(ChannelHandlerContext c) {
    for (var e : c.pipeline()) {
      String name = e.getValue().getClass().getName();
      if (name.contains("Deflate") || name.contains("Compress")) {
        return true;
      }
    }
    return false;
  }

  /** Whether the socket's outbound buffer is over its high-water mark. */
  private boolean socketFull() {
    return chctx != null ? !chctx.channel().isWritable() : ws.writeQueueFull();
  }

  private void writable() {
    Runnable r = onWritable;
    onWritable = null;
    if (r != null && phase != Phase.CLOSED) {
      r.run();
    }
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
        if (f.bytes().length() < MAX_BATCH_PAYLOAD) {
          gatherLine(f, framesLeft);
          return;
        }
      }
    }
    send(f.bytes());
  }

  private void flushCoalesced() {
    if (phase != Phase.LIVE) {
      return;
    }
    if (!held.isEmpty()) {
      List<Frame> out = new ArrayList<>(held.values());
      held.clear();
      out.sort(Comparator.comparingLong(Frame::seq));
      for (Frame f : out) {
        send(f.bytes());
      }
    }
    if (handedSeq > noteSeq) {
      send(Frames.coalesced(noteSeq + 1, handedSeq, droppedSinceNote));
      noteSeq = handedSeq;
      droppedSinceNote = 0;
    }
  }

  private void onOverflow() {
    long now = System.nanoTime();
    overflowTimes.add(now);
    while (!overflowTimes.isEmpty()
        && now - overflowTimes.peek() > settings.overflowWindow().toNanos()) {
      overflowTimes.poll();
    }
    if (overflowTimes.size() >= settings.maxOverflows()) {
      close(CloseCodes.SLOW_CONSUMER, "slow consumer: send queue overflowed repeatedly");
      return;
    }
    startSync(null, -1, "resync");
  }

  /**
   * Drops everything pending and asks the hub to (re)subscribe: from {@code sinceSeq} in {@code
   * epoch} (resume), or with a snapshot when {@code sinceSeq < 0}. Waits for the socket to accept
   * writes first, so a client that does not read holds no queue at all while it is resynchronised;
   * if it stays unwritable for {@code resyncTimeout} it is closed with 4001.
   */
  private void startSync(String epoch, long sinceSeq, String reason) {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.SYNCING;
    int gen = ++syncGen;
    if (windowTimer >= 0) {
      vertx.cancelTimer(windowTimer);
      windowTimer = -1;
    }
    depth.addAndGet(-(pendingCounted - 0));
    depthBytes.addAndGet(-pendingCountedBytes);
    pending.clear();
    pendingIndex = 0;
    pendingCounted = 0;
    pendingCountedBytes = 0;
    replay.clear();
    held.clear();
    droppedSinceNote = 0;
    onWritable = null;
    if (socketFull()) {
      if (resyncTimer >= 0) {
        vertx.cancelTimer(resyncTimer);
      }
      resyncTimer =
          vertx.setTimer(
              settings.resyncTimeout().toMillis(),
              t -> {
                resyncTimer = -1;
                if (gen == syncGen && phase == Phase.SYNCING) {
                  close(CloseCodes.SLOW_CONSUMER, "slow consumer: not reading");
                }
              });
      onWritable =
          () -> {
            if (gen == syncGen && phase == Phase.SYNCING) {
              requestSync(gen, epoch, sinceSeq, reason);
            }
          };
      return;
    }
    requestSync(gen, epoch, sinceSeq, reason);
  }

  private void requestSync(int gen, String epoch, long sinceSeq, String reason) {
    if (resyncTimer >= 0) {
      vertx.cancelTimer(resyncTimer);
      resyncTimer = -1;
    }
    hub.subscribe(this, epoch, sinceSeq, reason)
        .whenComplete((sync, err) -> ctx.runOnContext(v -> onSync(gen, sync, err)));
  }

  private void onSync(int gen, StreamHub.Sync sync, Throwable err) {
    if (gen != syncGen || phase != Phase.SYNCING) {
      return;
    }
    if (err != null) {
      Throwable cause =
          err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (!(cause instanceof CancellationException)) {
        log.error("stream connection {}: subscription failed", id, cause);
        close(CloseCodes.INTERNAL_ERROR, "internal error");
      }
      return;
    }
    if (sync.isSnapshot()) {
      if (sync.deflatedSnapshot() != null && !encoderUsed && deflates()) {
        sendDeflated(sync.deflatedSnapshot());
      } else {
        send(sync.snapshot());
      }
      stats.snapshotsSent.increment();
      if ("resync".equals(sync.reason())) {
        stats.resyncs.increment();
      }
      if (sync.sinceSeq() >= 0) {
        // A prepared snapshot at sinceSeq: the events after it up to the subscription follow.
        List<Frame> out = new ArrayList<>();
        for (Frame fr : VisibleFrames.view(sync.ringFrames(), visibility)) {
          if (filter.isAll() || filter.matches(fr.event())) {
            out.add(fr);
          }
        }
        handedSeq = sync.sinceSeq();
        noteSeq = sync.sinceSeq();
        if (!out.isEmpty()) {
          replay.add(out);
        }
      } else {
        handedSeq = sync.seq();
        noteSeq = sync.seq();
      }
      goLive();
      return;
    }
    if (sync.needsHistory()) {
      stats.resumesFromHistory.increment();
      hub.missedEvents()
          .after(sync.epoch(), sync.historyAfter(), (int) (sync.historyTo() - sync.historyAfter()))
          .whenComplete((events, e2) -> ctx.runOnContext(v -> onHistory(gen, sync, events, e2)));
      return;
    }
    replayAndGoLive(sync, List.of());
  }

  private void onHistory(int gen, StreamHub.Sync sync, List<Event> events, Throwable err) {
    if (gen != syncGen || phase != Phase.SYNCING) {
      return;
    }
    List<Frame> frames = new ArrayList<>();
    EventFrameEncoder encoder = new EventFrameEncoder();
    long expect = sync.historyAfter() + 1;
    // Cluster mode: seqs have holes, and the history source answers only when its run is complete
    // (MissedEvents), so ascending order is what is checked; frames carry prev_seq.
    boolean holes = hub.streamPositions();
    long prev = sync.historyAfter();
    boolean complete = err == null && events != null;
    if (err == null && events != null) {
      for (Event e : events) {
        if (e.seq() <= sync.historyAfter()) {
          continue;
        }
        if (e.seq() > sync.historyTo()) {
          break;
        }
        if ((holes ? e.seq() <= prev : e.seq() != expect) || !sync.epoch().equals(e.epoch())) {
          complete = false;
          break;
        }
        frames.add(encoder.frame(e, holes ? prev : -1));
        prev = e.seq();
        expect++;
      }
    } else if (err != null) {
      log.warn("stream connection {}: history for resume failed: {}", id, err.toString());
    }
    if (holes ? !complete : expect != sync.historyTo() + 1) {
      // History lags or lost rows: a snapshot, never a gap.
      startSync(null, -1, "resync");
      return;
    }
    replayAndGoLive(sync, frames);
  }

  private void replayAndGoLive(StreamHub.Sync sync, List<Frame> fromHistory) {
    StreamFilter f = filter;
    List<Frame> out = new ArrayList<>();
    for (List<Frame> part : List.of(fromHistory, sync.ringFrames())) {
      // A replay is this connection's own: its frames are filtered for its class here.
      for (Frame fr : VisibleFrames.view(part, visibility)) {
        if (f.isAll() || f.matches(fr.event())) {
          out.add(fr);
        }
      }
    }
    out.add(Frame.control(Frames.resumed(sync.sinceSeq(), sync.seq(), sync.epoch(), out.size())));
    stats.resumes.increment();
    stats.replayedFrames.add(out.size() - 1);
    noteSeq = sync.sinceSeq();
    handedSeq = sync.sinceSeq();
    replay.add(out);
    goLive();
  }

  private void goLive() {
    phase = Phase.LIVE;
    pump();
  }

  // ---------------------------------------------------------------- client messages

  private void onText(String text) {
    lastSeen = System.nanoTime();
    if (phase == Phase.CLOSED) {
      return;
    }
    if (!session.allowFrame()) {
      close(CloseCodes.RATE_LIMITED, "too many frames");
      return;
    }
    if (flooded(messageTimes, settings.messageLimit())) {
      close(CloseCodes.POLICY_VIOLATION, "too many messages");
      return;
    }
    if (text.length() > settings.maxClientMessageBytes()) {
      onBadFrame("message larger than " + settings.maxClientMessageBytes() + " bytes", 413, null);
      return;
    }
    JsonObject op;
    try {
      op = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      onBadFrame("message is not a JSON object", 400, null);
      return;
    }
    String name = op.getValue("op") instanceof String s ? s : null;
    if (name == null) {
      onBadFrame("missing \"op\" (resume, subscribe, unsubscribe, ping)", 400, "op");
      return;
    }
    switch (name) {
      case "resume" -> onResume(op);
      case "subscribe", "unsubscribe" -> onSubscribe(name, op);
      case "ping" ->
          send(
              new JsonObject()
                  .put("kind", "pong")
                  .put("timestamp", clock.instant().toString())
                  .toBuffer());
      default ->
          onBadFrame("unknown op '" + name + "' (resume, subscribe, unsubscribe, ping)", 400, "op");
    }
  }

  private void onResume(JsonObject op) {
    if (phase != Phase.NEW) {
      onBadFrame(
          "resume only as the first message; reconnect with since_seq and epoch to resume",
          409,
          "op");
      return;
    }
    Object since = op.getValue("since_seq");
    Object epoch = op.getValue("epoch");
    if (!(since instanceof Number n) || n.longValue() < 0 || !(epoch instanceof String e)) {
      onBadFrame("resume needs since_seq (integer >= 0) and epoch (string)", 400, "since_seq");
      return;
    }
    startSync(e, n.longValue(), null);
  }

  private void onSubscribe(String name, JsonObject op) {
    StreamFilter next;
    try {
      next = name.equals("subscribe") ? filter.plus(op) : filter.minus(op);
    } catch (StreamFilter.InvalidFilter e) {
      onBadFrame(e.getMessage(), 400, e.parameter());
      return;
    }
    filter = next;
    Buffer note = Frames.subscribed(next, name);
    if (!visibility.isFull()) {
      // The echo of the filter names no hidden entity either, even one the client asked for.
      JsonObject shown = visibility.redact(new JsonObject(note));
      note = shown == null ? note : shown.toBuffer();
    }
    send(note);
    if (phase == Phase.NEW) {
      startSync(null, -1, null);
    } else {
      // A new filter needs a snapshot of what it now shows, at a position events continue from.
      startSync(null, -1, "subscribe");
    }
  }

  private void onBadFrame(String message, int code, String parameter) {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (flooded(badFrameTimes, settings.badFrameLimit())) {
      close(CloseCodes.POLICY_VIOLATION, "too many bad messages");
      return;
    }
    stats.errorsSent.increment();
    send(Frames.error(message, code, parameter, clock.instant()));
  }

  /** Records one occurrence; true when more than {@code limit} fell within the flood window. */
  private boolean flooded(ArrayDeque<Long> times, int limit) {
    long now = System.nanoTime();
    times.add(now);
    long window = settings.floodWindow().toNanos();
    while (!times.isEmpty() && now - times.peek() > window) {
      times.poll();
    }
    return times.size() > limit;
  }

  private void onPing() {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (System.nanoTime() - lastSeen > settings.idleTimeout().toNanos()) {
      close(CloseCodes.IDLE_TIMEOUT, "idle timeout");
      return;
    }
    ws.writePing(Buffer.buffer("lm"));
    if (phase == Phase.LIVE) {
      send(Frames.ping(clock.instant()));
    }
  }

  // ---------------------------------------------------------------- writing and closing

  /**
   * Writes one text message from shared bytes without copying them: a TEXT frame over the buffer's
   * bytes, split into 64 KiB fragments (clients' default frame limit) when larger.
   */
  private void send(Buffer b) {
    if (phase == Phase.CLOSED) {
      return;
    }
    encoderUsed = true;
    int len = b.length();
    if (chctx != null) {
      writeWire();
      // Written straight to the channel and flushed once per event-loop task, so a drain of many
      // frames costs one system call, not one per frame. The buffer's bytes are shared, not copied.
      ByteBuf bytes = ((BufferInternal) b).getByteBuf();
      if (len <= FRAGMENT) {
        chctx.write(new TextWebSocketFrame(true, 0, bytes), chctx.voidPromise());
      } else {
        for (int off = 0; off < len; off += FRAGMENT) {
          int end = Math.min(len, off + FRAGMENT);
          ByteBuf part = bytes.slice(off, end - off);
          boolean last = end == len;
          chctx.write(
              off == 0
                  ? new TextWebSocketFrame(last, 0, part)
                  : new ContinuationWebSocketFrame(last, 0, part),
              chctx.voidPromise());
        }
      }
      markUnflushed();
    } else if (len <= FRAGMENT) {
      ws.writeFrame(text(b, true));
    } else {
      for (int off = 0; off < len; off += FRAGMENT) {
        int end = Math.min(len, off + FRAGMENT);
        Buffer part = b.slice(off, end);
        boolean last = end == len;
        ws.writeFrame(off == 0 ? text(part, last) : WebSocketFrame.continuationFrame(part, last));
      }
    }
    stats.framesSent.increment();
    stats.bytesSent.add(len);
  }

  /**
   * Writes a message compressed once for every socket ({@link
   * org.daarion.livingmap.state.PreparedSnapshot#deflateMessage}): RSV1 set on its first frame, so
   * the socket's own deflate encoder passes it on untouched. Only as the first message through that
   * encoder: the encoder's later messages may refer back only to what it compressed itself, and it
   * has compressed nothing before (the client's window then holds this message too, which the
   * encoder never refers to).
   */
  private void sendDeflated(Buffer b) {
    if (phase == Phase.CLOSED) {
      return;
    }
    writeWire();
    ByteBuf bytes = ((BufferInternal) b).getByteBuf();
    int len = b.length();
    int rsv1 = 4;
    if (len <= FRAGMENT) {
      chctx.write(new TextWebSocketFrame(true, rsv1, bytes), chctx.voidPromise());
    } else {
      for (int off = 0; off < len; off += FRAGMENT) {
        int end = Math.min(len, off + FRAGMENT);
        ByteBuf part = bytes.slice(off, end - off);
        boolean last = end == len;
        chctx.write(
            off == 0
                ? new TextWebSocketFrame(last, rsv1, part)
                : new ContinuationWebSocketFrame(last, 0, part),
            chctx.voidPromise());
      }
    }
    markUnflushed();
    stats.framesSent.increment();
    stats.bytesSent.add(len);
  }

  private static WebSocketFrame text(Buffer b, boolean last) {
    // WebSocketFrame.textFrame takes a String; this frame shares the buffer's bytes instead.
    return new WebSocketFrameImpl(WebSocketFrameType.TEXT, ((BufferInternal) b).getByteBuf(), last);
  }

  /** Closes from any thread. */
  void closeOnContext(short code, String reason) {
    ctx.runOnContext(v -> close(code, reason));
  }

  void close(short code, String reason) {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (serverCloseCode != 0) {
      return;
    }
    serverCloseCode = code;
    stats.close(code);
    log.debug("closing stream connection {}: {} {}", id, code, reason);
    ws.close(code, reason);
    // A client that does not read never sees the close frame queued behind its data: drop the
    // TCP connection after a grace period.
    vertx.setTimer(
        CLOSE_GRACE_MS,
        t -> {
          if (phase != Phase.CLOSED && chctx != null) {
            chctx.channel().close();
          } else if (phase != Phase.CLOSED && ws instanceof WebSocketInternal internal) {
            internal.channelHandlerContext().channel().close();
          }
        });
  }

  private void onCorruptFrame(CorruptedWebSocketFrameException bad) {
    WebSocketCloseStatus status = bad.closeStatus();
    short code = status != null ? (short) status.code() : CloseCodes.PROTOCOL_ERROR;
    // counted by close code in the stream's metrics, like every close
    close(code, code == CloseCodes.MESSAGE_TOO_BIG ? "message too big" : "protocol error");
  }

  private void onClose() {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.CLOSED;
    closed = true;
    for (long t : new long[] {pingTimer, windowTimer, flushTimer, resyncTimer}) {
      if (t >= 0) {
        vertx.cancelTimer(t);
      }
    }
    if (serverCloseCode == 0) {
      Short clientCode = ws.closeStatusCode();
      stats.close(clientCode != null ? clientCode : 1006);
    }
    depth.addAndGet(-pendingCounted);
    depthBytes.addAndGet(-pendingCountedBytes);
    pending.clear();
    replay.clear();
    held.clear();
    releaseWire();
    resetQueueQuietly();
    hub.unsubscribe(this);
    onClosed.run();
  }

  private void resetQueueQuietly() {
    synchronized (lock) {
      depth.addAndGet(-queuedFrames);
      depthBytes.addAndGet(-queuedBytes);
      queue.clear();
      queuedFrames = 0;
      queuedBytes = 0;
    }
  }

  Map<String, Object> describe() {
    return Map.of("id", id, "phase", phase.name(), "depth", depth.get(), "filter", filter.key());
  }
}
