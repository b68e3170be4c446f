package org.daarion.livingmap.history;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Acker;
import org.daarion.livingmap.event.ByteBudget;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.event.EventSink;
import org.daarion.livingmap.event.RejectedSink;
import org.daarion.livingmap.event.Rejection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes events and rejected events to PostgreSQL in batches, from one dedicated thread.
 *
 * <p><b>Contract.</b>
 *
 * <ul>
 *   <li><b>Batching.</b> Items wait in a bounded queue ({@code LIVING_MAP_HISTORY_QUEUE}). The
 *       writer takes up to {@code LIVING_MAP_HISTORY_BATCH} of them, waiting at most {@code
 *       LIVING_MAP_HISTORY_LINGER} for a batch to fill, and writes all events of the batch with one
 *       {@code COPY} (falling back to one {@code INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
 *       NOTHING} when the batch holds a row already stored) and its rejections in the same
 *       transaction.
 *   <li><b>Idempotent.</b> {@code ON CONFLICT DO NOTHING} on the source message id (a redelivery
 *       never makes a second row) and on {@code (epoch, seq)} (a retried batch whose commit was in
 *       fact done writes nothing twice).
 *   <li><b>Acknowledgement.</b> Each item's {@link Acker} is called once, after the transaction
 *       that stored it has committed, duplicates included, on the writer's acknowledgement thread
 *       (on the writer's own when that one falls behind). An item that was never committed is never
 *       acknowledged.
 *   <li><b>Backpressure.</b> {@link #onEvents} and {@link #reject} <b>block</b> the calling thread
 *       while the queue is full. That is deliberate: events are never dropped, and a state owner
 *       that outruns PostgreSQL for longer than the queue absorbs is slowed to its pace. The owner
 *       calls its sinks one after another, so the stream hub waits with it: sockets get no new
 *       events until the writer catches up (see {@link EventSink} for what that means).
 *   <li><b>Outages.</b> On a database error the batch is kept and retried with backoff (100 ms
 *       doubling to 2 s) forever; {@link #status()} says {@code DEGRADED} with the last error until
 *       a batch commits again. A row PostgreSQL refuses for its content (SQLSTATE class 22, 23 or
 *       54, e.g. a {@code \u0000} in a payload) is stored as a rejected event with the reason
 *       instead, so one bad row never stops the writer.
 *   <li><b>Shutdown.</b> {@link #close()} writes and acknowledges everything queued, then stops.
 * </ul>
 */
public final class HistoryWriter implements EventSink, RejectedSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HistoryWriter.class);

  static final long MIN_BACKOFF_MS = 100;
  static final long MAX_BACKOFF_MS = 2_000;
  static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /** OK after the last batch committed; DEGRADED while a batch is being retried. */
  public enum State {
    OK,
    DEGRADED
  }

  /** A consistent-enough view of the writer for health and metrics. */
  public record Status(
      State state,
      String lastError,
      Instant lastErrorAt,
      int queueDepth,
      int queueCapacity,
      int lastBatchSize,
      long lastBatchLatencyMs,
      long batchesWritten,
      long rowsWritten,
      long duplicatesSkipped,
      long rejectedWritten,
      long unstorableRows,
      long retries) {}

  /** Put in the queue by close() to wake a writer that is lingering for a batch to fill. */
  private static final Object WAKE = new Object();

  private final HistoryRows rows;
  private final Database database;
  private final DataSource dataSource;
  private final int batchSize;
  private final long lingerNanos;
  private final BlockingQueue<Object> queue;
  private final int capacity;

  /**
   * Bytes of the items queued or in the batch being written, released once the batch commits:
   * producers wait when it is spent (back-pressure to the state owner and from it to the sources),
   * so a slow database holds at most this much event data here.
   */
  private final ByteBudget queueBytes;

  /**
   * Rejected events have a budget of their own, so that a source that rejects because the queues
   * are full (NATS core) is not made to wait for the very queue that is full: it would stop reading
   * and the NATS client would drop messages unseen. Rejections keep 64 KiB of raw bytes at most, a
   * quarter of the history budget holds hundreds of them; only past that does rejecting wait.
   */
  private final ByteBudget rejectedBytes;

  private final Thread thread;

  /**
   * Acknowledges committed batches off the writer's thread, so that the next batch's COPY does not
   * wait for a thousand acknowledgements to be handed to the bus (an eighth of the writer's time
   * when it did). Bounded: when acknowledging falls behind, the writer does it itself.
   */
  private final ThreadPoolExecutor acknowledger =
      new ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.MILLISECONDS,
          new ArrayBlockingQueue<>(16),
          r -> {
            Thread t = new Thread(r, "living-map-history-acks");
            t.setDaemon(true);
            return t;
          },
          new ThreadPoolExecutor.CallerRunsPolicy());

  private volatile boolean closing;
  private volatile boolean closed;
  private volatile State state = State.OK;
  private volatile String lastError;
  private volatile Instant lastErrorAt;
  private volatile int lastBatchSize;
  private volatile long lastBatchLatencyMs;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong rowsWritten = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong refusedAfterClose = new AtomicLong();

  /** Told of every committed batch, when set; see {@link #feed}. */
  private volatile RecentHistory recent;

  /** Time spent writing and acknowledging batches; written by the writer thread only. */
  private volatile long busyNanos;

  /** A writer with the configured batch size, linger and queue capacity, started. */
  public HistoryWriter(Database database, Config config) {
    this(
        database.dataSource(),
        database,
        config.historyBatch,
        config.historyLinger,
        config.historyQueue,
        config.historyQueueBytes);
  }

  HistoryWriter(
      DataSource dataSource, Database database, int batchSize, Duration linger, int capacity) {
    this(dataSource, database, batchSize, linger, capacity, DEFAULT_QUEUE_BYTES);
  }

  /** 32 MiB: the default of {@code LIVING_MAP_HISTORY_QUEUE_BYTES}. */
  public static final long DEFAULT_QUEUE_BYTES = 32L * 1024 * 1024;

  HistoryWriter(
      DataSource dataSource,
      Database database,
      int batchSize,
      Duration linger,
      int capacity,
      long queueBytes) {
    this.queueBytes = new ByteBudget("history", queueBytes, ByteBudget.Overflow.BLOCK);
    this.rejectedBytes =
        new ByteBudget("rejected", Math.max(1 << 20, queueBytes / 4), ByteBudget.Overflow.BLOCK);
    if (batchSize < 1 || capacity < 1) {
      throw new IllegalArgumentException("batch size and queue capacity must be positive");
    }
    this.rows = new HistoryRows(dataSource);
    this.dataSource = dataSource;
    this.database = database;
    this.batchSize = batchSize;
    this.lingerNanos = linger.toNanos();
    this.capacity = capacity;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = new Thread(this::run, "living-map-history-writer");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Queues the events in order. Blocks while the queue is full (see the class Javadoc). If the
   * calling thread is interrupted, the events not yet queued are neither written nor acknowledged.
   */
  @Override
  public void onEvents(List<Event> batch) {
    for (Event e : batch) {
      // The writer needs the payload's bytes only; events wait here until their batch commits.
      if (!enqueue(e.withPayloadBytesOnly())) {
        return;
      }
    }
  }

  /**
   * A redelivered event is written like any other: the unique message id makes it no second row,
   * and it is acknowledged after the batch holding it commits, which is after its first delivery.
   */
  @Override
  public void onDuplicates(List<Event> duplicates) {
    onEvents(duplicates);
  }

  /** Queues a rejected event; blocks while the queue is full. */
  @Override
  public void reject(Rejection rejection) {
    enqueue(rejection);
  }

  private boolean enqueue(Object item) {
    if (closing) {
      long n = refusedAfterClose.incrementAndGet();
      if (n == 1 || Long.bitCount(n) == 1) {
        log.warn("history writer is closed; {} items refused (not acknowledged)", n);
      }
      return false;
    }
    long w = weightOf(item);
    ByteBudget budget = budgetOf(item);
    try {
      budget.acquire(w);
      try {
        queue.put(item);
      } catch (InterruptedException e) {
        budget.release(w);
        throw e;
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("interrupted while the history queue was full; events not queued");
      return false;
    }
  }

  private void run() {
    List<Object> items = new ArrayList<>(batchSize);
    try {
      while (true) {
        Object first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null || first == WAKE) {
          if (closing && queue.isEmpty()) {
            return;
          }
          readBackIfDue();
          continue;
        }
        items.add(first);
        queue.drainTo(items, batchSize - items.size());
        long deadline = System.nanoTime() + lingerNanos;
        while (items.size() < batchSize && !closing) {
          long wait = deadline - System.nanoTime();
          if (wait <= 0) {
            break;
          }
          Object next = queue.poll(wait, TimeUnit.NANOSECONDS);
          if (next == null || next == WAKE) {
            break;
          }
          items.add(next);
          queue.drainTo(items, batchSize - items.size());
        }
        writeUntilCommitted(items);
        for (Object o : items) {
          budgetOf(o).release(weightOf(o));
        }
        items.clear();
        readBackIfDue();
      }
    } catch (InterruptedException e) {
      int lost = items.size() + queue.size();
      if (lost > 0) {
        log.error(
            "history writer stopped before writing {} queued items; they were not acknowledged",
            lost);
      }
    } catch (RuntimeException | Error e) {
      log.error("history writer thread died", e);
      state = State.DEGRADED;
      lastError = "writer thread died: " + e;
      lastErrorAt = Instant.now();
      throw e;
    }
  }

  private static long weightOf(Object item) {
    if (item instanceof Event e) {
      return ByteBudget.bytesOnlyWeightOf(e);
    }
    if (item instanceof Rejection r) {
      return 256 + (r.raw() == null ? 0 : r.raw().length);
    }
    return 0;
  }

  private ByteBudget budgetOf(Object item) {
    return item instanceof Rejection ? rejectedBytes : queueBytes;
  }

  /**
   * Tells {@code recent} of every batch committed from now on: the rows with their ids when the
   * COPY stored them, else only that rows it does not hold were stored.
   */
  public void feed(RecentHistory recent) {
    this.recent = recent;
  }

  /** Between batches: memory reads history back after rows were stored around it. */
  private void readBackIfDue() {
    RecentHistory r = recent;
    if (r != null && !closing) {
      r.readBackIfDue(dataSource);
    }
  }

  private void committed(List<Event> events, boolean copied) {
    RecentHistory r = recent;
    if (r == null || events.isEmpty()) {
      return;
    }
    if (copied) {
      r.committed(events, rows.copyRows().ids(), rows.copyRows().payloads());
    } else {
      r.bypassed(events);
    }
  }

  /** The byte budget of the queue (metrics, health). */
  public ByteBudget queueBytes() {
    return queueBytes;
  }

  /** The byte budget of the rejected events in the queue (metrics). */
  public ByteBudget rejectedBytes() {
    return rejectedBytes;
  }

  private void writeUntilCommitted(List<Object> items) throws InterruptedException {
    List<Event> events = new ArrayList<>(items.size());
    List<Rejection> rejections = new ArrayList<>();
    for (Object o : items) {
      if (o instanceof Event e) {
        events.add(e);
      } else if (o instanceof Rejection r) {
        rejections.add(r);
      }
    }
    long backoff = MIN_BACKOFF_MS;
    while (true) {
      long t0 = System.nanoTime();
      try {
        int inserted = rows.write(events, rejections);
        committed(events, rows.lastCopied());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        succeeded(events.size(), rejections.size(), inserted, ms);
        ackAll(events, rejections);
        busyNanos += System.nanoTime() - t0;
        return;
      } catch (SQLException e) {
        if (HistoryRows.isDataError(e)) {
          // Some row's content is refused: store row by row, the refused ones as rejected.
          try {
            rows.writeRowByRow(events, rejections);
            committed(events, false);
            succeeded(events.size(), rejections.size(), -1, (System.nanoTime() - t0) / 1_000_000);
            ackAll(events, rejections);
            busyNanos += System.nanoTime() - t0;
            return;
          } catch (SQLException again) {
            failed(again);
          }
        } else {
          failed(e);
        }
      } catch (RuntimeException e) {
        failed(e);
      }
      // Some of the batch may be stored after all (a commit whose answer was lost, rows written
      // one by one before the failure): memory must not answer for them.
      committed(events, false);
      busyNanos += System.nanoTime() - t0;
      retries.incrementAndGet();
      Thread.sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private void succeeded(int events, int rejections, int inserted, long ms) {
    if (state != State.OK) {
      log.info("history writes succeed again");
    }
    state = State.OK;
    batches.incrementAndGet();
    if (inserted >= 0) {
      rowsWritten.addAndGet(inserted);
      duplicates.addAndGet(events - inserted);
    } else {
      rowsWritten.addAndGet(events); // row-by-row path: conflicts are not counted apart
    }
    rejected.addAndGet(rejections);
    lastBatchSize = events + rejections;
    lastBatchLatencyMs = ms;
  }

  private void failed(Exception e) {
    String msg = Database.rootMessage(e);
    if (state == State.OK) {
      log.warn("history write failed, retrying with backoff: {}", msg);
    }
    state = State.DEGRADED;
    lastError = msg;
    lastErrorAt = Instant.now();
    if (database != null) {
      database.reportError(e);
    }
  }

  /** Acknowledges a committed batch; the lists are the writer's own and not changed after this. */
  private void ackAll(List<Event> events, List<Rejection> rejections) {
    acknowledger.execute(() -> ackNow(events, rejections));
  }

  private static void ackNow(List<Event> events, List<Rejection> rejections) {
    for (Event e : events) {
      ack(e.acker());
    }
    for (Rejection r : rejections) {
      ack(r.acker());
    }
  }

  private static void ack(Acker acker) {
    try {
      acker.ack();
    } catch (RuntimeException e) {
      log.warn("acknowledgement failed: {}", e.toString());
    }
  }

  /** State, counters and gauges; never blocks. */
  public Status status() {
    return new Status(
        state,
        lastError,
        lastErrorAt,
        queue.size(),
        capacity,
        lastBatchSize,
        lastBatchLatencyMs,
        batches.get(),
        rowsWritten.get(),
        duplicates.get(),
        rejected.get(),
        rows.unstorable(),
        retries.get());
  }

  public int queueDepth() {
    return queue.size();
  }

  public long batchesWritten() {
    return batches.get();
  }

  public long rowsWritten() {
    return rowsWritten.get();
  }

  /**
   * Nanoseconds this writer has spent writing batches (COPY data, statements, commits, retries) and
   * acknowledging them, not waiting for events: its busy share of wall time says whether history is
   * the ingest path's bottleneck.
   */
  public long busyNanos() {
    return busyNanos;
  }

  public long lastBatchLatencyMs() {
    return lastBatchLatencyMs;
  }

  public long rejectedWritten() {
    return rejected.get();
  }

  /** Batches whose COPY met a row already stored and were written again with the insert. */
  public long copyConflicts() {
    return rows.copyConflicts();
  }

  /**
   * Writes and acknowledges everything queued, then stops; waits at most 30 s (a database that is
   * down longer leaves the rest unwritten and unacknowledged, so a durable source redelivers it).
   */
  @Override
  public void close() {
    close(DEFAULT_CLOSE_TIMEOUT);
  }

  /** {@link #close()} with a chosen wait. */
  public void close(Duration timeout) {
    if (closed) {
      return;
    }
    closed = true;
    closing = true;
    queue.offer(WAKE); // a full queue needs no waking: the writer is not lingering then
    try {
      thread.join(timeout.toMillis());
      if (thread.isAlive()) {
        log.error("history writer did not flush within {}; stopping it", timeout);
        thread.interrupt();
        thread.join(5_000);
      }
    } catch (InterruptedException e) {
      thread.interrupt();
      Thread.currentThread().interrupt();
    }
    acknowledger.shutdown();
    try {
      if (!acknowledger.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("history acknowledgements not all sent within 5 s; their events are redelivered");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
