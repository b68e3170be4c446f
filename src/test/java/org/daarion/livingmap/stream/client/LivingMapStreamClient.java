package org.daarion.livingmap.stream.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The reference client of {@code /living-map/stream} (docs/STREAM.md), used by the tests and the
 * benchmark. It follows the resume algorithm a client must follow:
 *
 * <ol>
 *   <li>The first connect has no position: the server sends a snapshot at seq S; the position is
 *       (epoch, S).
 *   <li>Each event frame moves the position to its seq. Without filters and {@code max_rate}, seqs
 *       are consecutive: a jump is a gap (never expected: the server resyncs instead of dropping)
 *       and makes the client reconnect with its position; a seq at or below the position is a
 *       duplicate and is ignored. In cluster mode seqs have holes and each event frame says {@code
 *       prev_seq}: then {@code prev_seq} must equal the position, or it is a gap.
 *   <li>With {@code max_rate}, metric frames arrive late and out of seq order; only a {@code
 *       coalesced} note moves the position (to its {@code to_seq}), and seqs above the position
 *       already seen are remembered to drop their replays after a resume.
 *   <li>On disconnect the client reconnects with {@code since_seq} and {@code epoch}; the server
 *       either replays what was missed (then sends {@code resumed}) or sends a snapshot with {@code
 *       reason:"resync"}, which replaces the local state. With {@link Options#failover} endpoints,
 *       each reconnect goes to the next one (another replica).
 * </ol>
 *
 * <p>It keeps a local copy of the snapshot's items by id and applies {@code node.metrics.*} and
 * {@code agent.event.*} to it, enough to compare with the server. All handlers run on one Vert.x
 * context; getters are synchronized and may be called from any thread.
 */
public final class LivingMapStreamClient implements AutoCloseable {
  /** Connection parameters; the filter and max_rate are sent again on each reconnect. */
  public static final class Options {
    String host = "localhost";
    int port = 7017;
    String path = "/living-map/stream";
    final Map<String, String> query = new LinkedHashMap<>();
    boolean reconnect = true;
    long reconnectDelayMs = 100;
    boolean decodeEvents = true;
    boolean keepSeqs = true;
    boolean resumeByMessage;
    boolean compression;
    Consumer<Buffer> rawEvents;
    Consumer<JsonObject> frames;
    final List<String[]> failover = new ArrayList<>();

    public Options host(String h) {
      host = h;
      return this;
    }

    public Options port(int p) {
      port = p;
      return this;
    }

    public Options path(String p) {
      path = p;
      return this;
    }

    /** A query parameter: layers, types, entities, events, max_rate. */
    public Options param(String name, String value) {
      query.put(name, value);
      return this;
    }

    /**
     * Another replica to reconnect to (cluster mode): each reconnect goes to the next endpoint in
     * turn, starting with {@link #host}/{@link #port}, with the same position and filters.
     */
    public Options failover(String h, int p) {
      failover.add(new String[] {h, Integer.toString(p)});
      return this;
    }

    public Options reconnect(boolean on, long delayMs) {
      reconnect = on;
      reconnectDelayMs = delayMs;
      return this;
    }

    /**
     * Benchmark mode: event frames are not decoded; {@code sink} gets their bytes (the seq is still
     * read, by a scan), and the local state is not kept.
     */
    public Options rawEvents(Consumer<Buffer> sink) {
      decodeEvents = false;
      rawEvents = sink;
      return this;
    }

    /**
     * Sends the position as a first {@code {"op":"resume"}} message instead of query parameters.
     */
    public Options resumeByMessage(boolean on) {
      resumeByMessage = on;
      return this;
    }

    /**
     * Asks for batched framing ({@code batch=1}): a text message may hold several frames as
     * newline-separated JSON objects; each is handled as if it had come alone.
     */
    public Options batch(boolean on) {
      if (on) {
        query.put("batch", "1");
      } else {
        query.remove("batch");
      }
      return this;
    }

    /** Offers permessage-deflate, as browsers do. */
    public Options compression(boolean on) {
      compression = on;
      return this;
    }

    /** Whether to keep every received event seq (tests); off for long runs. */
    public Options keepSeqs(boolean on) {
      keepSeqs = on;
      return this;
    }

    /** Every decoded non-event frame, and event frames when decoding (tests). */
    public Options onFrame(Consumer<JsonObject> sink) {
      frames = sink;
      return this;
    }
  }

  private final Vertx vertx;
  private final Options options;
  private final WebSocketClient wsClient;

  // guarded by this
  private WebSocket ws;
  private String epoch;
  private long position = -1;
  private long lastSeq = -1;
  private final TreeSet<Long> seenAbovePosition = new TreeSet<>();
  private final List<Long> seqs = new ArrayList<>();
  private final Map<String, JsonObject> items = new HashMap<>();
  private final Set<String> touched = new HashSet<>();
  private final List<JsonObject> errors = new ArrayList<>();
  private final List<String> snapshotReasons = new ArrayList<>();
  private JsonObject lastSnapshot;
  private long events;
  private long gaps;
  private long duplicates;
  private long reconnects;
  private long resumes;
  private Short lastCloseCode;
  private boolean closed;
  private boolean live;
  private Promise<Void> firstSync;
  private int endpoint;

  public LivingMapStreamClient(Vertx vertx, Options options) {
    this.vertx = vertx;
    this.options = options;
    // A position given as parameters is the client's own starting position.
    String since = options.query.remove("since_seq");
    String ep = options.query.remove("epoch");
    if (since != null && ep != null) {
      epoch = ep;
      position = Long.parseLong(since);
      lastSeq = position;
    }
    this.wsClient =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxFrameSize(64 * 1024)
                .setMaxMessageSize(256 * 1024 * 1024)
                .setMaxConnections(100_000)
                .setTryUsePerMessageCompression(options.compression));
  }

  /** Connects (with the position, if any); completes when the first snapshot or resume arrived. */
  public synchronized Future<Void> connect() {
    firstSync = Promise.promise();
    Future<Void> f = firstSync.future();
    open();
    return f;
  }

  private void open() {
    StringBuilder uri = new StringBuilder(options.path);
    Map<String, String> q = new LinkedHashMap<>(options.query);
    synchronized (this) {
      if (epoch != null && position >= 0 && !options.resumeByMessage) {
        q.put("since_seq", Long.toString(position));
        q.put("epoch", epoch);
      }
    }
    char sep = '?';
    for (Map.Entry<String, String> e : q.entrySet()) {
      uri.append(sep)
          .append(e.getKey())
          .append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
      sep = '&';
    }
    String host = options.host;
    int port = options.port;
    synchronized (this) {
      int n = endpoint % (options.failover.size() + 1);
      if (n > 0) {
        host = options.failover.get(n - 1)[0];
        port = Integer.parseInt(options.failover.get(n - 1)[1]);
      }
    }
    WebSocketConnectOptions co =
        new WebSocketConnectOptions().setHost(host).setPort(port).setURI(uri.toString());
    wsClient
        .connect(co)
        .onSuccess(this::attach)
        .onFailure(
            err -> {
              Promise<Void> p;
              synchronized (this) {
                p = firstSync;
              }
              if (p != null && !options.reconnect) {
                p.tryFail(err);
              } else {
                scheduleReconnect();
              }
            });
  }

  private void attach(WebSocket socket) {
    synchronized (this) {
      if (closed) {
        socket.close();
        return;
      }
      ws = socket;
      live = false;
      if (options.resumeByMessage && epoch != null && position >= 0) {
        socket.writeTextMessage(
            new JsonObject()
                .put("op", "resume")
                .put("since_seq", position)
                .put("epoch", epoch)
                .encode());
      }
    }
    boolean batch = "1".equals(options.query.get("batch"));
    if (options.decodeEvents) {
      socket.textMessageHandler(batch ? this::onLines : this::onText);
    } else {
      Buffer[] message = {null};
      socket.frameHandler(
          fr -> {
            if (batch && fr.isText() && fr.isFinal()) {
              onRawLines(fr.binaryData());
            } else if (fr.isText() && fr.isFinal() && isEventFrame(fr.binaryData())) {
              Buffer b = fr.binaryData();
              onEventSeq(scanLong(b, SEQ), scanLong(b, PREV_SEQ), null);
              options.rawEvents.accept(b);
            } else if (fr.isText() || fr.isContinuation()) {
              message[0] =
                  message[0] == null
                      ? fr.binaryData().copy()
                      : message[0].appendBuffer(fr.binaryData());
              if (fr.isFinal()) {
                String text = message[0].toString(StandardCharsets.UTF_8);
                message[0] = null;
                if (batch) {
                  onLines(text);
                } else {
                  onText(text);
                }
              }
            }
          });
    }
    socket.closeHandler(
        v -> {
          Promise<Void> p = null;
          synchronized (this) {
            lastCloseCode = socket.closeStatusCode();
            if (ws == socket) {
              ws = null;
            }
            if (!options.reconnect && firstSync != null) {
              p = firstSync;
              firstSync = null;
            }
          }
          if (p != null) {
            p.tryFail("closed before the first snapshot or resume (code " + lastCloseCode() + ")");
          }
          scheduleReconnect();
        });
    socket.exceptionHandler(err -> {});
  }

  private void scheduleReconnect() {
    synchronized (this) {
      if (closed || !options.reconnect || ws != null) {
        return;
      }
      reconnects++;
      if (!options.failover.isEmpty()) {
        endpoint++;
      }
    }
    vertx.setTimer(
        options.reconnectDelayMs,
        t -> {
          synchronized (this) {
            if (closed || ws != null) {
              return;
            }
          }
          open();
        });
  }

  private static final byte[] EVENT_PREFIX =
      "{\"kind\":\"event\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SEQ = "\"seq\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PREV_SEQ = "\"prev_seq\":".getBytes(StandardCharsets.US_ASCII);

  private static boolean isEventFrame(Buffer b) {
    if (b.length() < EVENT_PREFIX.length) {
      return false;
    }
    for (int i = 0; i < EVENT_PREFIX.length; i++) {
      if (b.getByte(i) != EVENT_PREFIX[i]) {
        return false;
      }
    }
    return true;
  }

  /** Reads the integer after {@code key} in a frame's bytes without decoding it, or -1. */
  public static long scanLong(Buffer b, byte[] key) {
    int n = b.length();
    outer:
    for (int i = 0; i + key.length <= n; i++) {
      for (int k = 0; k < key.length; k++) {
        if (b.getByte(i + k) != key[k]) {
          continue outer;
        }
      }
      long v = 0;
      boolean any = false;
      for (int j = i + key.length; j < n; j++) {
        byte c = b.getByte(j);
        if (c < '0' || c > '9') {
          break;
        }
        v = v * 10 + (c - '0');
        any = true;
      }
      return any ? v : -1;
    }
    return -1;
  }

  /** A batched message: one JSON object per line, in order. */
  private void onLines(String text) {
    int from = 0;
    while (from < text.length()) {
      int nl = text.indexOf('\n', from);
      int end = nl < 0 ? text.length() : nl;
      if (end > from) {
        onText(text.substring(from, end));
      }
      from = end + 1;
    }
  }

  /** A batched message in benchmark mode: event lines are scanned, the others decoded. */
  private void onRawLines(Buffer b) {
    int n = b.length();
    int from = 0;
    while (from < n) {
      int end = from;
      while (end < n && b.getByte(end) != '\n') {
        end++;
      }
      if (end > from) {
        Buffer line = b.slice(from, end);
        if (isEventFrame(line)) {
          onEventSeq(scanLong(line, SEQ), scanLong(line, PREV_SEQ), null);
          options.rawEvents.accept(line);
        } else {
          onText(line.toString(StandardCharsets.UTF_8));
        }
      }
      from = end + 1;
    }
  }

  private void onText(String text) {
    JsonObject f = new JsonObject(text);
    if (options.frames != null) {
      options.frames.accept(f);
    }
    switch (f.getString("kind", "")) {
      case "snapshot" -> onSnapshot(f);
      case "event" -> onEventSeq(f.getLong("seq", -1L), f.getLong("prev_seq", -1L), f);
      case "coalesced" -> {
        synchronized (this) {
          position = Math.max(position, f.getLong("to_seq"));
          seenAbovePosition.headSet(position, true).clear();
        }
      }
      case "resumed" -> {
        Promise<Void> p;
        synchronized (this) {
          resumes++;
          live = true;
          if (!coalescing()) {
            position = Math.max(position, f.getLong("seq"));
            lastSeq = Math.max(lastSeq, position);
          }
          p = firstSync;
          firstSync = null;
        }
        if (p != null) {
          p.tryComplete();
        }
      }
      case "error" -> {
        synchronized (this) {
          errors.add(f);
        }
      }
      default -> {}
    }
  }

  private void onSnapshot(JsonObject f) {
    Promise<Void> p;
    synchronized (this) {
      epoch = f.getString("epoch");
      position = f.getLong("seq");
      lastSeq = position;
      seenAbovePosition.clear();
      snapshotReasons.add(f.getString("reason"));
      lastSnapshot = f.getJsonObject("data");
      items.clear();
      if (options.decodeEvents) {
        indexItems(lastSnapshot);
      }
      live = true;
      p = firstSync;
      firstSync = null;
    }
    if (p != null) {
      p.tryComplete();
    }
  }

  private void indexItems(JsonObject data) {
    JsonObject layers = data.getJsonObject("layers", new JsonObject());
    for (String[] list :
        new String[][] {
          {"city", "items"},
          {"city", "channels"},
          {"space", "planets"},
          {"nodes", "items"},
          {"agents", "items"}
        }) {
      JsonObject layer = layers.getJsonObject(list[0]);
      if (layer != null && layer.getValue(list[1]) instanceof JsonArray a) {
        for (Object o : a) {
          if (o instanceof JsonObject item && item.getString("id") != null) {
            items.put(item.getString("id"), item.copy());
          }
        }
      }
    }
  }

  /**
   * @param prevSeq the seq of the event before this one ({@code prev_seq}, cluster mode, where seqs
   *     have holes), or -1 when the frame has none (seqs are then consecutive)
   */
  private void onEventSeq(long seq, long prevSeq, JsonObject f) {
    boolean reconnect = false;
    synchronized (this) {
      if (f != null && epoch != null && !epoch.equals(f.getString("epoch"))) {
        gaps++;
        reconnect = true;
      } else if (coalescing()) {
        if (seq <= position || seenAbovePosition.contains(seq)) {
          duplicates++;
          return;
        }
        seenAbovePosition.add(seq);
        accept(seq, f);
      } else if (seq <= lastSeq) {
        duplicates++;
        return;
      } else if (!filtered() && (prevSeq >= 0 ? prevSeq != lastSeq : seq != lastSeq + 1)) {
        gaps++;
        reconnect = true;
      } else {
        lastSeq = seq;
        position = seq;
        accept(seq, f);
      }
    }
    if (reconnect) {
      // Never expected from a correct server: resume from the last good position.
      dropConnection();
    }
  }

  private void accept(long seq, JsonObject f) {
    events++;
    if (options.keepSeqs) {
      seqs.add(seq);
    }
    if (f != null) {
      apply(f);
    }
  }

  /** Applies what the tests compare: node metrics and agent status. */
  private void apply(JsonObject f) {
    String id = f.getString("entity_id");
    if (id == null) {
      return;
    }
    touched.add(id);
    String type = f.getString("event_type", "");
    JsonObject p = f.getJsonObject("payload", new JsonObject());
    JsonObject item = items.get(id);
    if (type.startsWith("node.metrics.")) {
      if (item == null) {
        item = new JsonObject().put("id", id).put("metrics", new JsonObject());
        items.put(id, item);
      }
      JsonObject m = item.getJsonObject("metrics");
      if (m == null) {
        m = new JsonObject();
        item.put("metrics", m);
      }
      for (String k :
          new String[] {"cpu", "gpu", "ram", "disk", "net_in", "net_out", "temperature"}) {
        if (p.getValue(k) instanceof Number n) {
          m.put(k, n.doubleValue());
        }
      }
    } else if (type.startsWith("agent.event.") && item != null && p.getString("status") != null) {
      item.put("status_raw", p.getString("status"));
    }
  }

  private boolean coalescing() {
    String r = options.query.get("max_rate");
    return r != null && !r.isBlank() && !r.equals("0");
  }

  private boolean filtered() {
    for (String k : List.of("layers", "types", "entities", "events")) {
      String v = options.query.get(k);
      if (v != null && !v.isBlank()) {
        return true;
      }
    }
    return false;
  }

  /** Sends a client op (subscribe, unsubscribe, resume, ping). */
  public Future<Void> send(JsonObject op) {
    WebSocket s;
    synchronized (this) {
      s = ws;
    }
    return s == null ? Future.failedFuture("not connected") : s.writeTextMessage(op.encode());
  }

  /** Sends raw text (tests of bad frames). */
  public Future<Void> sendText(String text) {
    WebSocket s;
    synchronized (this) {
      s = ws;
    }
    return s == null ? Future.failedFuture("not connected") : s.writeTextMessage(text);
  }

  /**
   * Closes the connection with code 4100 as if it dropped; it reconnects with resume if enabled.
   * Returns whether there was a connection to drop.
   */
  public boolean dropConnection() {
    WebSocket s;
    synchronized (this) {
      s = ws;
      if (s != null && live) {
        live = false;
      } else {
        return false;
      }
    }
    s.close((short) 4100, "client drop");
    return true;
  }

  /** Whether the WebSocket is open (before or after the first sync). */
  public synchronized boolean socketOpen() {
    return ws != null;
  }

  @Override
  public void close() {
    WebSocket s;
    synchronized (this) {
      closed = true;
      s = ws;
      ws = null;
    }
    if (s != null) {
      s.close();
    }
    wsClient.close();
  }

  // ---- state for tests and the benchmark

  public synchronized String epoch() {
    return epoch;
  }

  /** The resume position: what {@code since_seq} will be on the next connect. */
  public synchronized long position() {
    return position;
  }

  public synchronized long lastSeq() {
    return lastSeq;
  }

  public synchronized List<Long> seqs() {
    return List.copyOf(seqs);
  }

  public synchronized long events() {
    return events;
  }

  public synchronized long gaps() {
    return gaps;
  }

  public synchronized long duplicates() {
    return duplicates;
  }

  public synchronized long reconnects() {
    return reconnects;
  }

  public synchronized long resumes() {
    return resumes;
  }

  public synchronized boolean connected() {
    return ws != null && live;
  }

  public synchronized Short lastCloseCode() {
    return lastCloseCode;
  }

  /** Reasons of every snapshot received, in order (null for a plain connect snapshot). */
  public synchronized List<String> snapshotReasons() {
    return new ArrayList<>(snapshotReasons);
  }

  public synchronized JsonObject lastSnapshot() {
    return lastSnapshot;
  }

  public synchronized List<JsonObject> errors() {
    return List.copyOf(errors);
  }

  /** The local copy of one item (snapshot plus applied events), or null. */
  public synchronized JsonObject item(String id) {
    JsonObject o = items.get(id);
    return o == null ? null : o.copy();
  }

  public synchronized Set<String> touched() {
    return Set.copyOf(touched);
  }

  /** Reads an integer field from a frame's text without decoding it (benchmark mode). */
  public static long scanLong(String text, String key) {
    int i = text.indexOf(key);
    if (i < 0) {
      return -1;
    }
    i += key.length();
    long v = 0;
    boolean any = false;
    while (i < text.length()) {
      char c = text.charAt(i++);
      if (c >= '0' && c <= '9') {
        v = v * 10 + (c - '0');
        any = true;
      } else if (any) {
        break;
      }
    }
    return any ? v : -1;
  }
}
