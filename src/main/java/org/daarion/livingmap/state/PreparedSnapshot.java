package org.daarion.livingmap.state;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;
import org.daarion.livingmap.wire.Deflate;
import org.daarion.livingmap.wire.JsonAscii;
import org.daarion.livingmap.wire.VertxInternals;

/**
 * One prepared version of the snapshot: the {@link Snapshot} and, per variant, its bytes encoded
 * once (identity and gzip) with their ETags, shared by every HTTP response and stream frame that
 * serves this version. Immutable once a variant is encoded; any thread.
 *
 * <p>A <b>variant</b> is the snapshot as one visibility class sees it: a string key and a pure
 * reducer from the full snapshot JSON to that class's JSON (the reducer must not change its input).
 * Key {@code ""} is the full view, prepared with the version. Other variants are encoded on the
 * snapshot executor when first asked for in a version (every asker of that key shares the one
 * encoding) and then prepared ahead with the next versions while they are asked for.
 *
 * <p>The encoded bytes live outside the heap in one buffer each, so that every socket writing them
 * shares them instead of copying them into its own transport buffer.
 */
public final class PreparedSnapshot {
  /**
   * One variant's bytes. {@code etag} names the identity bytes, {@link #gzipEtag} the gzip ones.
   * The full view's identity bytes are the snapshot's, inflated when first asked for ({@link
   * Snapshot#bytes}).
   */
  public static final class Encoded {
    private final String etag;
    private final Buffer gzip;
    private final Buffer identity; // null: the snapshot's
    private final Snapshot snapshot;
    private final Executor executor;

    private Encoded(
        String etag, Buffer gzip, Buffer identity, Snapshot snapshot, Executor executor) {
      this.etag = etag;
      this.gzip = gzip;
      this.identity = identity;
      this.snapshot = snapshot;
      this.executor = executor;
    }

    public String etag() {
      return etag;
    }

    public Buffer gzip() {
      return gzip;
    }

    /** The identity bytes; may inflate them (see {@link #identityReady}). */
    public Buffer identity() {
      return identity != null ? identity : snapshot.bytes();
    }

    /** Whether {@link #identity} returns at once (an event loop may call it). */
    public boolean identityReady() {
      return identity != null || snapshot.hasBytes();
    }

    /** The identity bytes, inflated on the snapshot executor when they are not yet. */
    public CompletableFuture<Buffer> identityAsync() {
      return identityReady()
          ? CompletableFuture.completedFuture(identity())
          : CompletableFuture.supplyAsync(this::identity, executor);
    }

    public String gzipEtag() {
      return etag.substring(0, etag.length() - 1) + "-gz\"";
    }

    /** Whether an {@code If-None-Match} header names either encoding of these bytes. */
    public boolean matches(String ifNoneMatch) {
      if (ifNoneMatch == null) {
        return false;
      }
      for (String t : ifNoneMatch.split(",")) {
        String tag = t.trim();
        if (tag.startsWith("W/")) {
          tag = tag.substring(2);
        }
        if (tag.equals("*") || tag.equals(etag) || tag.equals(gzipEtag())) {
          return true;
        }
      }
      return false;
    }
  }

  /** The gzip level: 6 (zlib's default) compresses the 100x snapshot 10:1 in about 0.1 s. */
  static final int GZIP_LEVEL = 6;

  private final Snapshot snapshot;
  private final JsonObject meta;
  private final Executor executor;
  private final SnapshotService service;
  private final Map<String, CompletableFuture<Encoded>> variants = new ConcurrentHashMap<>();
  private volatile long freshUntilNanos;
  private volatile long readyNanos = System.nanoTime();

  PreparedSnapshot(Snapshot snapshot, JsonObject meta, Executor executor, SnapshotService service) {
    this.snapshot = snapshot;
    this.meta = meta;
    this.executor = executor;
    this.service = service;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  public long version() {
    return snapshot.version();
  }

  public long seq() {
    return snapshot.seq();
  }

  public String epoch() {
    return snapshot.epoch();
  }

  JsonObject meta() {
    return meta;
  }

  long freshUntilNanos() {
    return freshUntilNanos;
  }

  /** When this version was prepared ({@link System#nanoTime}). */
  long readyNanos() {
    return readyNanos;
  }

  /** Prepared at {@code readyNanos}; not prepared again before {@code freshUntilNanos}. */
  void ready(long readyNanos, long freshUntilNanos) {
    this.readyNanos = readyNanos;
    this.freshUntilNanos = freshUntilNanos;
  }

  /** The full view's bytes (prepared with the version: never waits). */
  public Encoded full() {
    return variants.get("").join();
  }

  /**
   * The bytes of variant {@code key}, {@code reducer} applied to the full snapshot JSON. Completes
   * at once when this version has them; otherwise they are encoded once on the snapshot executor.
   */
  public CompletableFuture<Encoded> variant(String key, UnaryOperator<JsonObject> reducer) {
    if (key.isEmpty()) {
      return variants.get("");
    }
    service.touch(key, reducer);
    CompletableFuture<Encoded> f = variants.get(key);
    if (f != null) {
      return f;
    }
    CompletableFuture<Encoded> mine = new CompletableFuture<>();
    f = variants.putIfAbsent(key, mine);
    if (f != null) {
      return f;
    }
    executor.execute(
        () -> {
          try {
            mine.complete(encode(key, reducer.apply(snapshot.json()).toBuffer()));
          } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
          }
        });
    return mine;
  }

  /**
   * Prepares the full view: its gzip bytes splice the snapshot's compressed bytes, and its identity
   * bytes are the snapshot's own.
   */
  void prepareFull() {
    variants.put(
        "",
        CompletableFuture.completedFuture(
            new Encoded(etag(""), Deflate.gzip(snapshot.compressed()), null, snapshot, executor)));
  }

  /** Prepares a variant on the calling thread (the preparation task). */
  void prepareNow(String key, UnaryOperator<JsonObject> reducer) {
    try {
      variants.put(
          key,
          CompletableFuture.completedFuture(
              encode(key, reducer.apply(snapshot.json()).toBuffer())));
    } catch (RuntimeException e) {
      // Left unprepared: its first reader encodes it and sees the failure.
    }
  }

  private Encoded encode(String key, Buffer json) {
    Buffer identity = offHeap(JsonAscii.escape(json));
    return new Encoded(etag(key), Deflate.gzip(identity, GZIP_LEVEL), identity, null, executor);
  }

  private String etag(String key) {
    return "\""
        + snapshot.epoch()
        + "-"
        + snapshot.version()
        + (key.isEmpty() ? "" : "-" + Integer.toHexString(key.hashCode()))
        + "\"";
  }

  /**
   * The message compressed once for permessage-deflate, independent of any earlier message, so any
   * socket can be sent it as its first compressed message ({@link Deflate#message}).
   */
  public static Buffer deflateMessage(Buffer message) {
    return Deflate.message(message, GZIP_LEVEL);
  }

  /**
   * {@link #deflateMessage} of {@code head}, the full snapshot's JSON and {@code tail}, splicing
   * the snapshot's compressed bytes: nothing of the snapshot is compressed again.
   */
  public Buffer deflateFullMessage(byte[] head, byte[] tail) {
    return Deflate.message(head, snapshot.compressed(), tail, GZIP_LEVEL);
  }

  /**
   * A copy outside the heap. Freed when the last reference goes (a JDK direct buffer, not a pooled
   * one: HTTP responses share it without reference counting).
   */
  static Buffer offHeap(Buffer b) {
    return VertxInternals.offHeap(b);
  }
}
