package org.daarion.livingmap.history;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import javax.sql.DataSource;
import org.daarion.livingmap.state.StateCodec;
import org.daarion.livingmap.wire.Deflate;

/**
 * Stored full snapshots in {@code living_map_snapshots}, for time travel and for restoring the
 * state at start.
 *
 * <p><b>Encoding.</b> {@code snapshot_data} is jsonb. A snapshot whose JSON is at most {@link
 * #COMPRESS_ABOVE_BYTES} is stored as that JSON, {@code compressed = false}. A larger one is
 * gzipped and stored as {@code {"gzip_base64": "..."}}, {@code compressed = true}: PostgreSQL does
 * not parse or index the body, and the row is several times smaller. {@code size_bytes} is always
 * the uncompressed JSON size. Rows the original service wrote (plain JSON, or a JSON string holding
 * JSON text) are read too.
 *
 * <p>All methods run on the database's worker pool.
 */
public final class SnapshotStore {
  public static final int COMPRESS_ABOVE_BYTES = 256 * 1024;
  static final String GZIP_FIELD = "gzip_base64";

  private static final String META =
      "id, generated_at, seq, epoch, version, compressed, size_bytes";

  private final DataSource dataSource;
  private final Executor executor;
  private final int compressAbove;

  public SnapshotStore(Database database) {
    this(database.dataSource(), database.executor(), COMPRESS_ABOVE_BYTES);
  }

  /**
   * Cluster mode: every snapshot stored compressed, as JSON text, so that a replica restored from
   * it has its fields in the same order as the replicas that applied the stream (jsonb would
   * reorder object keys, and snapshots of replicas at one seq must be byte-identical).
   */
  public static SnapshotStore keepingKeyOrder(Database database) {
    return new SnapshotStore(database.dataSource(), database.executor(), 0);
  }

  SnapshotStore(DataSource dataSource, Executor executor, int compressAbove) {
    this.dataSource = dataSource;
    this.executor = executor;
    this.compressAbove = compressAbove;
  }

  /** Stores one snapshot; completes with its listing entry (no body). */
  public CompletableFuture<StoredSnapshot> save(SnapshotData d) {
    return HistoryStore.async(executor, () -> saveBlocking(d));
  }

  StoredSnapshot saveBlocking(SnapshotData d) throws SQLException {
    Buffer json = d.body();
    boolean compress = json.length() > compressAbove;
    String body =
        compress
            ? new JsonObject()
                .put(
                    GZIP_FIELD,
                    Base64.getEncoder()
                        .encodeToString(
                            Deflate.gzip(json, Deflater.DEFAULT_COMPRESSION).getBytes()))
                .encode()
            : json.toString(StandardCharsets.UTF_8);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO living_map_snapshots"
                    + " (generated_at, snapshot_data, version, compressed, size_bytes, seq, epoch)"
                    + " VALUES (?, ?::jsonb, ?, ?, ?, ?, ?) RETURNING "
                    + META)) {
      ps.setTimestamp(1, Timestamp.from(d.generatedAt()));
      ps.setString(2, body);
      ps.setString(3, d.version() == null ? "1.0" : d.version());
      ps.setBoolean(4, compress);
      ps.setInt(5, json.length());
      ps.setLong(6, d.seq());
      if (d.epoch() == null) {
        ps.setNull(7, Types.VARCHAR);
      } else {
        ps.setString(7, d.epoch());
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return meta(rs, null);
      }
    }
  }

  /** {@code GET /living-map/snapshots}: {@code {items:[{id, generated_at, seq, epoch, ...}]}}. */
  public CompletableFuture<JsonObject> list(int limit) {
    if (limit < 1 || limit > HistoryQuery.MAX_LIMIT) {
      throw new BadParameterException("limit", "must be between 1 and " + HistoryQuery.MAX_LIMIT);
    }
    return HistoryStore.async(
        executor,
        () -> {
          JsonArray items = new JsonArray();
          try (Connection c = dataSource.getConnection();
              PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT "
                          + META
                          + " FROM living_map_snapshots ORDER BY generated_at DESC LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                items.add(meta(rs, null).toJson());
              }
            }
          }
          return new JsonObject().put("items", items);
        });
  }

  /** The newest stored snapshot, with its body. */
  public CompletableFuture<Optional<StoredSnapshot>> latest() {
    return HistoryStore.async(executor, () -> atOrBefore(null));
  }

  /** The newest stored snapshot generated at or before {@code at}, with its body. */
  public CompletableFuture<Optional<StoredSnapshot>> latestAtOrBefore(Instant at) {
    return HistoryStore.async(executor, () -> atOrBefore(at));
  }

  Optional<StoredSnapshot> atOrBefore(Instant at) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + META
                    + ", snapshot_data::text FROM living_map_snapshots"
                    + (at == null ? "" : " WHERE generated_at <= ?")
                    + " ORDER BY generated_at DESC LIMIT 1")) {
      if (at != null) {
        ps.setTimestamp(1, Timestamp.from(at));
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(meta(rs, decode(rs.getString(8))));
      }
    }
  }

  /**
   * The oldest stored snapshot, without its body: where a range reaching further back can start.
   */
  Optional<StoredSnapshot> earliest() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + META
                    + " FROM living_map_snapshots ORDER BY generated_at ASC LIMIT 1")) {
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(meta(rs, null));
      }
    }
  }

  /**
   * The newest stored snapshot that is not ahead of history's newest position ({@code epoch},
   * {@code seq}): snapshots of that epoch cut at a later seq are skipped.
   */
  Optional<StoredSnapshot> newestNotAhead(String epoch, long seq) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + META
                    + ", snapshot_data::text FROM living_map_snapshots"
                    + " WHERE NOT (epoch IS NOT NULL AND epoch = ? AND seq IS NOT NULL AND seq > ?)"
                    + " ORDER BY generated_at DESC LIMIT 1")) {
      ps.setString(1, epoch);
      ps.setLong(2, seq);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(meta(rs, decode(rs.getString(8))));
      }
    }
  }

  private static StoredSnapshot meta(ResultSet rs, JsonObject body) throws SQLException {
    long seq = rs.getLong(3);
    Long seqOrNull = rs.wasNull() ? null : seq;
    int size = rs.getInt(7);
    Integer sizeOrNull = rs.wasNull() ? null : size;
    return new StoredSnapshot(
        rs.getString(1),
        StoredRows.instant(rs, 2),
        seqOrNull,
        rs.getString(4),
        rs.getString(5),
        rs.getBoolean(6),
        sizeOrNull,
        body);
  }

  /**
   * What a stored body is read back for: the state and the silences. The API snapshot beside them
   * (about half the bytes) is never read back, so it is skipped instead of built into a tree: at
   * 100x DAARION's size that tree alone took more than 100 MB of heap per read.
   */
  static final Set<String> READ_BACK = Set.of("state", "silences");

  /**
   * Reads any stored body: plain JSON (whole: at most {@link #COMPRESS_ABOVE_BYTES}), our gzip
   * wrapper (only the members in {@link #READ_BACK}), or the original's string-encoded JSON ({@code
   * {"value": ...}}).
   */
  static JsonObject decode(String text) {
    Object v = StoredRows.payload(text);
    if (v instanceof JsonObject o) {
      if (o.size() == 1 && o.getValue(GZIP_FIELD) instanceof String b64) {
        return readBack(Base64.getDecoder().decode(b64));
      }
      return o;
    }
    return new JsonObject().put("value", v);
  }

  /**
   * The {@link #READ_BACK} members of a gzipped JSON object, the others skipped token by token;
   * inflated as it is read, and no further than the last of them (stored first since 2026-12-07:
   * the API snapshot after them, half the bytes, is then neither inflated nor read).
   */
  static JsonObject readBack(byte[] gzipped) {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped), 64 * 1024);
        JsonParser p = JSON.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("stored snapshot body is not a JSON object");
      }
      JsonObject out = new JsonObject();
      while (out.size() < READ_BACK.size() && p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        if ("state".equals(name)) {
          out.put(name, StateCodec.read(p));
        } else if (READ_BACK.contains(name)) {
          out.put(name, JsonObject.of("v", JSON.readValue(p, Object.class)).getValue("v"));
        } else {
          p.skipChildren();
        }
      }
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("stored snapshot body is not JSON: " + e.getMessage());
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
}
