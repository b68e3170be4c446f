package org.daarion.livingmap.stream.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Many WebSocket clients on one selector thread, as light as a client can be: they parse frame
 * headers, and per message only find the {@code pub_us} number. Both servers of the benchmark are
 * measured with these same clients, so that the clients (on the same 2 cores) cost as little and as
 * equally as possible. Three protocols: Living Map frames (one JSON event per text message), Living
 * Map batched framing ({@code batch=1}: newline-separated JSON objects per text message, each line
 * counted as one message) and NATS over WebSocket ({@code CONNECT}/{@code SUB}, then {@code MSG}
 * lines split anywhere across binary frames; {@code PING} answered with {@code PONG}).
 */
final class RawWsClients implements AutoCloseable {
  enum Protocol {
    LIVING_MAP,
    LIVING_MAP_BATCH,
    NATS
  }

  private static final byte[] KEY = "\"pub_us\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT = "{\"kind\":\"event\"".getBytes(StandardCharsets.US_ASCII);

  private final Loop[] loops;
  private int next;
  private final Protocol protocol;
  private final String host;
  private final int port;
  private final String path;
  private final String natsSubject;
  private final LongConsumer onMessage;
  final LongAdder delivered = new LongAdder();
  final AtomicInteger open = new AtomicInteger();
  final AtomicInteger ready = new AtomicInteger();
  private volatile boolean running = true;

  /** One selector thread and the connections it owns. */
  private final class Loop {
    final Selector selector;
    final Thread thread;
    final ConcurrentLinkedQueue<Conn> toRegister = new ConcurrentLinkedQueue<>();
    final List<Conn> conns = new ArrayList<>();

    Loop(int i) throws IOException {
      selector = Selector.open();
      thread = new Thread(() -> loop(this), "raw-ws-clients-" + i);
      thread.setDaemon(true);
      thread.start();
    }
  }

  RawWsClients(
      Protocol protocol,
      String host,
      int port,
      String path,
      String natsSubject,
      LongConsumer onMessage)
      throws IOException {
    this.protocol = protocol;
    this.host = host;
    this.port = port;
    this.path = path;
    this.natsSubject = natsSubject;
    this.onMessage = onMessage;
    int threads = Integer.getInteger("bench.clientThreads", 2);
    this.loops = new Loop[threads];
    for (int i = 0; i < threads; i++) {
      loops[i] = new Loop(i);
    }
  }

  /** Opens {@code n} more connections (non-blocking; {@link #ready} counts the upgraded ones). */
  void open(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      SocketChannel ch = SocketChannel.open();
      ch.configureBlocking(false);
      ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      ch.connect(new InetSocketAddress(host, port));
      Loop l = loops[next++ % loops.length];
      l.toRegister.add(new Conn(ch));
      l.selector.wakeup();
    }
  }

  /** Closes {@code n} connections, spread over the threads. */
  void closeSome(int n) {
    for (int i = 0; i < loops.length; i++) {
      int share = n / loops.length + (i < n % loops.length ? 1 : 0);
      loops[i].toRegister.add(new Conn(null, share));
      loops[i].selector.wakeup();
    }
  }

  private void loop(Loop l) {
    Selector selector = l.selector;
    List<Conn> conns = l.conns;
    ConcurrentLinkedQueue<Conn> toRegister = l.toRegister;
    try {
      while (running) {
        selector.select(100);
        Conn c;
        while ((c = toRegister.poll()) != null) {
          if (c.ch == null) {
            for (int i = 0; i < c.closeCount && !conns.isEmpty(); i++) {
              Conn victim = conns.remove(conns.size() - 1);
              victim.close();
            }
            continue;
          }
          conns.add(c);
          open.incrementAndGet();
          c.key = c.ch.register(selector, SelectionKey.OP_CONNECT, c);
        }
        for (SelectionKey k : selector.selectedKeys()) {
          Conn conn = (Conn) k.attachment();
          try {
            if (k.isConnectable()) {
              conn.ch.finishConnect();
              conn.sendHandshake();
              k.interestOps(SelectionKey.OP_READ);
            } else if (k.isReadable()) {
              conn.read();
            }
          } catch (IOException | RuntimeException e) {
            conn.close();
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private final class Conn {
    final SocketChannel ch;
    final int closeCount;
    SelectionKey key;
    // Room for a whole 64 KiB frame (a batch, or a snapshot fragment) plus what follows it.
    final ByteBuffer in = ByteBuffer.allocate(256 * 1024);
    boolean upgraded;
    long skip; // bytes of a large frame still to discard
    byte[] nats = new byte[0]; // NATS protocol bytes not yet parsed
    boolean closed;

    Conn(SocketChannel ch) {
      this(ch, 0);
    }

    Conn(SocketChannel ch, int closeCount) {
      this.ch = ch;
      this.closeCount = closeCount;
    }

    void sendHandshake() throws IOException {
      String req =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: "
              + host
              + ":"
              + port
              + "\r\nUpgrade: websocket\r\n"
              + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              + "Sec-WebSocket-Version: 13\r\n\r\n";
      writeFully(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
    }

    void send(int opcode, byte[] payload) throws IOException {
      ByteBuffer f = ByteBuffer.allocate(payload.length + 14);
      f.put((byte) (0x80 | opcode));
      if (payload.length < 126) {
        f.put((byte) (0x80 | payload.length));
      } else {
        f.put((byte) (0x80 | 126)).putShort((short) payload.length);
      }
      byte[] mask = {7, 1, 3, 5};
      f.put(mask);
      for (int i = 0; i < payload.length; i++) {
        f.put((byte) (payload[i] ^ mask[i & 3]));
      }
      f.flip();
      writeFully(f);
    }

    void writeFully(ByteBuffer b) throws IOException {
      while (b.hasRemaining()) {
        if (ch.write(b) == 0) {
          Thread.onSpinWait();
        }
      }
    }

    void read() throws IOException {
      int n = ch.read(in);
      if (n < 0) {
        close();
        return;
      }
      in.flip();
      if (!upgraded) {
        int end = headerEnd();
        if (end < 0) {
          in.compact();
          return;
        }
        upgraded = true;
        ready.incrementAndGet();
        in.position(end);
        if (protocol == Protocol.NATS) {
          send(
              2,
              ("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"echo\":false}\r\nSUB "
                      + natsSubject
                      + " 1\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
        }
      }
      frames();
      in.compact();
    }

    int headerEnd() {
      for (int i = in.position(); i + 3 < in.limit(); i++) {
        if (in.get(i) == '\r'
            && in.get(i + 1) == '\n'
            && in.get(i + 2) == '\r'
            && in.get(i + 3) == '\n') {
          return i + 4;
        }
      }
      return -1;
    }

    void frames() throws IOException {
      while (true) {
        if (skip > 0) {
          int s = (int) Math.min(skip, in.remaining());
          in.position(in.position() + s);
          skip -= s;
          if (skip > 0) {
            return;
          }
        }
        int p = in.position();
        if (in.remaining() < 2) {
          return;
        }
        int b0 = in.get(p) & 0xff;
        int b1 = in.get(p + 1) & 0x7f;
        int hdr = 2;
        long len = b1;
        if (b1 == 126) {
          if (in.remaining() < 4) {
            return;
          }
          len = ((in.get(p + 2) & 0xff) << 8) | (in.get(p + 3) & 0xff);
          hdr = 4;
        } else if (b1 == 127) {
          if (in.remaining() < 10) {
            return;
          }
          len = in.getLong(p + 2);
          hdr = 10;
        }
        int opcode = b0 & 0x0f;
        boolean fin = (b0 & 0x80) != 0;
        if (len > in.capacity() - 16) {
          // larger than the buffer (a big snapshot frame): not measured, discarded
          in.position(p + hdr);
          skip = len;
          continue;
        }
        if (in.remaining() < hdr + len) {
          return;
        }
        int start = p + hdr;
        int end = (int) (start + len);
        if (opcode == 9) {
          byte[] ping = new byte[(int) len];
          in.get(start, ping);
          send(10, ping);
        } else if (protocol == Protocol.LIVING_MAP) {
          if (opcode == 1 && fin && startsWith(start, end, EVENT)) {
            delivered.increment();
            onMessage.accept(scan(start, end));
          }
        } else if (protocol == Protocol.LIVING_MAP_BATCH) {
          if (opcode == 1 && fin) {
            lines(start, end);
          }
        } else if (opcode == 1 || opcode == 2 || opcode == 0) {
          nats(start, end);
        }
        in.position(end);
      }
    }

    /** Each newline-separated event object of a batch message is one delivered message. */
    void lines(int start, int end) {
      byte[] a = in.array();
      int from = start;
      while (from < end) {
        int nl = from;
        while (nl < end && a[nl] != '\n') {
          nl++;
        }
        if (startsWith(from, nl, EVENT)) {
          delivered.increment();
          onMessage.accept(lastNumber(a, from, nl));
        }
        from = nl + 1;
      }
    }

    boolean startsWith(int start, int end, byte[] prefix) {
      if (end - start < prefix.length) {
        return false;
      }
      for (int i = 0; i < prefix.length; i++) {
        if (in.get(start + i) != prefix[i]) {
          return false;
        }
      }
      return true;
    }

    /**
     * The publish timestamp: the last number of the message (both servers' payloads end with it).
     */
    long scan(int from, int to) {
      return lastNumber(in.array(), from, to);
    }

    long scanForward(int from, int to) {
      outer:
      for (int i = from; i + KEY.length <= to; i++) {
        for (int k = 0; k < KEY.length; k++) {
          if (in.get(i + k) != KEY[k]) {
            continue outer;
          }
        }
        long v = 0;
        for (int j = i + KEY.length; j < to; j++) {
          byte c = in.get(j);
          if (c < '0' || c > '9') {
            break;
          }
          v = v * 10 + (c - '0');
        }
        return v;
      }
      return -1;
    }

    /** Appends protocol bytes and parses whole MSG / PING / INFO lines. */
    void nats(int start, int end) throws IOException {
      int len = end - start;
      byte[] buf = new byte[nats.length + len];
      System.arraycopy(nats, 0, buf, 0, nats.length);
      in.get(start, buf, nats.length, len);
      int pos = 0;
      int n = buf.length;
      while (pos < n) {
        int eol = -1;
        for (int i = pos; i + 1 < n; i++) {
          if (buf[i] == '\r' && buf[i + 1] == '\n') {
            eol = i;
            break;
          }
        }
        if (eol < 0) {
          break;
        }
        if (buf[pos] == 'M') {
          int sp = eol - 1;
          while (sp > pos && buf[sp] != ' ') {
            sp--;
          }
          int size =
              Integer.parseInt(new String(buf, sp + 1, eol - sp - 1, StandardCharsets.US_ASCII));
          int ps = eol + 2;
          if (ps + size + 2 > n) {
            break;
          }
          delivered.increment();
          onMessage.accept(scanBytes(buf, ps, ps + size));
          pos = ps + size + 2;
        } else {
          if (buf[pos] == 'P' && buf[pos + 1] == 'I') {
            send(2, "PONG\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          pos = eol + 2;
        }
      }
      nats = pos >= n ? new byte[0] : java.util.Arrays.copyOfRange(buf, pos, n);
    }

    long scanBytes(byte[] b, int from, int to) {
      return lastNumber(b, from, to);
    }

    long scanBytesForward(byte[] b, int from, int to) {
      outer:
      for (int i = from; i + KEY.length <= to; i++) {
        for (int k = 0; k < KEY.length; k++) {
          if (b[i + k] != KEY[k]) {
            continue outer;
          }
        }
        long v = 0;
        for (int j = i + KEY.length; j < to && b[j] >= '0' && b[j] <= '9'; j++) {
          v = v * 10 + (b[j] - '0');
        }
        return v;
      }
      return -1;
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      open.decrementAndGet();
      if (upgraded) {
        ready.decrementAndGet();
      }
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /**
   * Reads {@code "pub_us":N} from the end of a JSON message ({@code ...,"pub_us":N}} or {@code
   * ...}}}), checking the key; -1 when the message does not end that way.
   */
  static long lastNumber(byte[] b, int from, int to) {
    int i = to - 1;
    while (i >= from && (b[i] == '}' || b[i] == ' ' || b[i] == '\n' || b[i] == '\r')) {
      i--;
    }
    int end = i + 1;
    while (i >= from && b[i] >= '0' && b[i] <= '9') {
      i--;
    }
    int start = i + 1;
    if (start == end || i - KEY.length + 1 < from) {
      return -1;
    }
    for (int k = 0; k < KEY.length; k++) {
      if (b[i - KEY.length + 1 + k] != KEY[k]) {
        return -1;
      }
    }
    long v = 0;
    for (int j = start; j < end; j++) {
      v = v * 10 + (b[j] - '0');
    }
    return v;
  }

  @Override
  public void close() throws Exception {
    running = false;
    for (Loop l : loops) {
      l.selector.wakeup();
      l.thread.join(5000);
      for (Conn c : l.conns) {
        c.close();
      }
      l.selector.close();
    }
  }
}
