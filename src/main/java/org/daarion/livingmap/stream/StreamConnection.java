package org.daarion.livingmap.stream;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.visibility.Visibility;
import org.daarion.livingmap.wire.VertxInternals.RawSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket client's protocol (centrifuge's {@code client.go}): its phases, the client's ops,
 * subscriptions and resumes, pings and closes. What is sent goes through its {@link StreamWriter}
 * (the bounded queue and the wire). Everything here runs on the socket's Vert.x context except
 * {@link #offer}, {@link #resetQueue} and {@link #requestResync}, which the hub calls on the state
 * owner's thread; they touch only the writer's bounded queue and volatile flags, and schedule at
 * most one drain on the context.
 *
 * <p>Phases: NEW (waiting up to the resume window for a first {@code resume} op), SYNCING (a
 * subscription was asked for; live frames wait in the queue while the snapshot or replay is
 * prepared), LIVE, CLOSED.
 */
final class StreamConnection {
  private static final Logger log = LoggerFactory.getLogger(StreamConnection.class);
  private static final long CLOSE_GRACE_MS = 2000;

  /**
   * Largest payload of a batch frame: 65,535 bytes keep the frame header at 4 bytes and the frame
   * within the 64 KiB frame limit most WebSocket clients default to (the Vert.x client's included).
   */
  static final int MAX_BATCH_PAYLOAD = 65_535;

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
  private final StreamWriter writer;

  /** The socket's Netty channel, or null (then everything goes through the Vert.x API). */
  private final RawSocket raw;

  // shared with the owner thread
  private volatile StreamFilter filter;
  private volatile boolean closed;
  private volatile boolean resyncRequested;
  private final AtomicBoolean drainScheduled = new AtomicBoolean();

  /** Owner-thread only: whether the hub's subscriber list holds this connection. */
  boolean subscribed;

  // context-owned
  private Phase phase = Phase.NEW;
  private int syncGen;
  private long lastSeen;
  private long pingTimer = -1;
  private long windowTimer = -1;
  private long flushTimer = -1;
  private long resyncTimer = -1;
  private short serverCloseCode;
  private final ArrayDeque<Long> overflowTimes = new ArrayDeque<>();
  private final ArrayDeque<Long> badFrameTimes = new ArrayDeque<>();
  private final ArrayDeque<Long> messageTimes = new ArrayDeque<>();
  private final StreamSession session;
  private final Visibility visibility;

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
      RawSocket raw,
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
    this.onClosed = onClosed;
    this.raw = raw;
    this.writer =
        new StreamWriter(
            ctx, ws, raw, stats, settings, maxRateMs, batch, drainer, this::scheduleDrain);
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
   * precompressed ({@link RawSocket#deflates()}). Any thread.
   */
  boolean deflates() {
    return raw != null && raw.deflates();
  }

  boolean isClosed() {
    return closed;
  }

  /** Frames waiting to be written (queue plus taken but unwritten); never above the bound. */
  int depth() {
    return writer.depth();
  }

  // ---------------------------------------------------------------- owner thread

  /**
   * Appends one batch's frames for this connection; on the owner's thread. Returns false when the
   * bound would be exceeded: the queue is then dropped, the connection is marked overflowed and
   * must be unsubscribed by the caller; the drain it schedules asks for a resync.
   */
  boolean offer(List<Frame> frames) {
    return writer.offer(frames);
  }

  /** Drops what is queued; on the owner's thread, inside the command that resubscribes. */
  void resetQueue() {
    writer.resetQueue();
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

  // ---------------------------------------------------------------- context

  void start(String resumeEpoch, long sinceSeq) {
    lastSeen = System.nanoTime();
    if (raw != null) {
      raw.watch(ctx, writer::writable, this::onCorruptFrame);
    } else {
      ws.drainHandler(v -> writer.writable());
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
      flushTimer = vertx.setPeriodic(maxRateMs, t -> writer.flushCoalesced());
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

  /** Called by the context's drainer. */
  void drainNow() {
    drainScheduled.set(false);
    if (phase == Phase.CLOSED || phase == Phase.NEW) {
      return;
    }
    if (resyncRequested) {
      resyncRequested = false;
      startSync(null, -1, "resync");
      return;
    }
    if (writer.overflowed()) {
      onOverflow();
      return;
    }
    if (phase == Phase.LIVE) {
      writer.pump();
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
    writer.reset();
    if (writer.socketFull()) {
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
      writer.whenWritable(
          () -> {
            if (gen == syncGen && phase == Phase.SYNCING) {
              requestSync(gen, epoch, sinceSeq, reason);
            }
          });
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

  private void onSync(int gen, Sync sync, Throwable err) {
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
      if (sync.deflatedSnapshot() != null && !writer.encoderUsed() && deflates()) {
        writer.sendDeflated(sync.deflatedSnapshot());
      } else {
        writer.send(sync.snapshot());
      }
      stats.snapshotsSent.increment();
      if ("resync".equals(sync.reason())) {
        stats.resyncs.increment();
      }
      if (sync.sinceSeq() >= 0) {
        // A prepared snapshot at sinceSeq: the events after it up to the subscription follow.
        List<Frame> out = mine(sync.ringFrames(), new ArrayList<>());
        writer.startAt(sync.sinceSeq());
        if (!out.isEmpty()) {
          writer.replay(out);
        }
      } else {
        writer.startAt(sync.seq());
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

  private void onHistory(int gen, Sync sync, List<Event> events, Throwable err) {
    if (gen != syncGen || phase != Phase.SYNCING) {
      return;
    }
    if (err != null) {
      log.warn("stream connection {}: history for resume failed: {}", id, err.toString());
    }
    List<Frame> frames =
        err != null
            ? null
            : HistoryFrames.of(
                events, sync.epoch(), sync.historyAfter(), sync.historyTo(), hub.streamPositions());
    if (frames == null) {
      // History lags or lost rows: a snapshot, never a gap.
      startSync(null, -1, "resync");
      return;
    }
    replayAndGoLive(sync, frames);
  }

  private void replayAndGoLive(Sync sync, List<Frame> fromHistory) {
    List<Frame> out = mine(sync.ringFrames(), mine(fromHistory, new ArrayList<>()));
    out.add(Frame.control(Frames.resumed(sync.sinceSeq(), sync.seq(), sync.epoch(), out.size())));
    stats.resumes.increment();
    stats.replayedFrames.add(out.size() - 1);
    writer.startAt(sync.sinceSeq());
    writer.replay(out);
    goLive();
  }

  /**
   * Adds the frames of {@code frames} this connection is sent to {@code out}: a replay is its own,
   * so its frames are filtered for its class and filter here.
   */
  private List<Frame> mine(List<Frame> frames, List<Frame> out) {
    StreamFilter f = filter;
    for (Frame fr : VisibleFrames.view(frames, visibility)) {
      if (f.isAll() || f.matches(fr.event())) {
        out.add(fr);
      }
    }
    return out;
  }

  private void goLive() {
    phase = Phase.LIVE;
    writer.goLive();
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
          writer.send(
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
    writer.send(note);
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
    writer.send(Frames.error(message, code, parameter, clock.instant()));
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
      writer.send(Frames.ping(clock.instant()));
    }
  }

  // ---------------------------------------------------------------- closing

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
          if (phase != Phase.CLOSED && raw != null) {
            raw.closeTransport();
          }
        });
  }

  /** The transport refused a client frame: close with its code (counted like every close). */
  private void onCorruptFrame(int status) {
    short code = status != 0 ? (short) status : CloseCodes.PROTOCOL_ERROR;
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
    writer.close();
    hub.unsubscribe(this);
    onClosed.run();
  }
}
