package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.daarion.livingmap.api.http.ApiServer;
import org.daarion.livingmap.api.security.PublicSnapshot;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.event.Event;
import org.daarion.livingmap.state.LiveState;
import org.daarion.livingmap.state.PreparedSnapshot;
import org.daarion.livingmap.state.SnapshotService;
import org.daarion.livingmap.state.StateOwner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /living-map/snapshot} from prepared bytes on the production server (its transport
 * compression on): gzip bytes prepared once per version, identity bytes left uncompressed, 304 on
 * either ETag, and a stream of versions coalesced instead of encoded per request.
 */
class PreparedSnapshotHttpTest {
  private final Vertx vertx = Vertx.vertx();
  private final ExecutorService workers = Executors.newFixedThreadPool(2);
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private StateOwner owner;
  private SnapshotService snapshots;
  private ApiServer api;
  private int port;

  @BeforeEach
  void start() throws Exception {
    owner = new StateOwner(new LiveState("e1", 0), 100_000, Clock.systemUTC());
    owner.start();
    snapshots =
        new SnapshotService(
            owner, workers, () -> new JsonObject().put("version", "t"), Duration.ofMillis(300));
    api =
        new ApiServer(
            vertx,
            Config.of(Map.of("PORT", "0")),
            "t",
            List.of(new SnapshotRoutes(snapshots, null)),
            org.daarion.livingmap.api.security.Security.open(vertx),
            null);
    port = api.start().await();
    for (int n = 1; n <= 300; n++) {
      metrics(n, 0.25);
    }
    owner.read(a -> a.state().seq()).get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    api.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    owner.close();
    snapshots.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    workers.shutdownNow();
  }

  private void metrics(int node, double cpu) throws InterruptedException {
    owner.submit(
        Event.incoming(
            "node.metrics.n" + node,
            new JsonObject().put("node_id", "node:n" + node).put("cpu", cpu).put("ram", 0.5),
            Clock.systemUTC().instant(),
            null,
            null));
  }

  private HttpResponse<byte[]> get(String... headers) throws Exception {
    return getAt("/living-map/snapshot", headers);
  }

  private HttpResponse<byte[]> getAt(String pathAndQuery, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + pathAndQuery));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] gunzip(byte[] gz) throws Exception {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  /**
   * {@code ?wire=gzip}: the prepared gzip bytes as a file, whatever the caller accepts, so that a
   * page inflates them itself instead of receiving the decoded body from its network process.
   */
  @Test
  void wireGzipSendsThePreparedGzipBytesAsAFile() throws Exception {
    HttpResponse<byte[]> plain = get();
    HttpResponse<byte[]> zipped = get("Accept-Encoding", "gzip");
    HttpResponse<byte[]> file = getAt("/living-map/snapshot?wire=gzip");
    assertThat(file.statusCode()).isEqualTo(200);
    assertThat(file.headers().firstValue("Content-Type")).hasValue("application/gzip");
    assertThat(file.headers().firstValue("Content-Encoding").orElse("identity"))
        .isEqualTo("identity");
    assertThat(file.body()).isEqualTo(zipped.body());
    assertThat(gunzip(file.body())).isEqualTo(plain.body());
    // the same with a caller that accepts gzip: the transport does not compress the file again
    assertThat(getAt("/living-map/snapshot?wire=gzip", "Accept-Encoding", "gzip").body())
        .isEqualTo(zipped.body());
    String etag = file.headers().firstValue("ETag").orElseThrow();
    assertThat(getAt("/living-map/snapshot?wire=gzip", "If-None-Match", etag).statusCode())
        .isEqualTo(304);

    for (String bad : new String[] {"?wire=br", "?wire=", "?wire=gzip&at=2026-12-01T00:00:00Z"}) {
      HttpResponse<byte[]> r = getAt("/living-map/snapshot" + bad);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      JsonObject body = new JsonObject(new String(r.body(), "UTF-8"));
      assertThat(body.encode()).as(bad).contains("wire");
    }
  }

  @Test
  void gzipAndIdentityAreTheSameSnapshotAndConditionalRequestsGet304() throws Exception {
    HttpResponse<byte[]> plain = get();
    HttpResponse<byte[]> zipped = get("Accept-Encoding", "gzip");
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
    assertThat(new JsonObject(new String(plain.body(), "UTF-8")).getLong("seq")).isEqualTo(300);
    assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
    assertThat(zipped.headers().firstValue("Vary")).hasValue("Accept-Encoding");
    // The transport did not compress the prepared gzip bytes again: one gunzip gives the JSON.
    assertThat(gunzip(zipped.body())).isEqualTo(plain.body());

    String etag = plain.headers().firstValue("ETag").orElseThrow();
    String gzEtag = zipped.headers().firstValue("ETag").orElseThrow();
    assertThat(gzEtag).isNotEqualTo(etag);
    assertThat(get("If-None-Match", etag).statusCode()).isEqualTo(304);
    assertThat(get("Accept-Encoding", "gzip", "If-None-Match", gzEtag).statusCode()).isEqualTo(304);
    assertThat(get("Accept-Encoding", "gzip;q=0").headers().firstValue("Content-Encoding"))
        .isEmpty();

    metrics(1, 0.75);
    owner.read(a -> a.state().seq()).get(10, TimeUnit.SECONDS);
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> get("If-None-Match", etag).statusCode() == 200);
  }

  @Test
  void versionsComingFasterThanTheIntervalAreCoalesced() throws Exception {
    snapshots.prepared().get(10, TimeUnit.SECONDS);
    long before = snapshots.preparations();
    long started = System.nanoTime();
    int requests = 0;
    long lastSeq = -1;
    for (int round = 0; round < 60; round++) {
      for (int i = 0; i < 20; i++) {
        metrics(i + 1, (round % 10) / 10.0);
      }
      HttpResponse<byte[]> r = get("Accept-Encoding", "gzip");
      requests++;
      assertThat(r.statusCode()).isEqualTo(200);
      long seq = new JsonObject(new String(gunzip(r.body()), "UTF-8")).getLong("seq");
      assertThat(seq).isGreaterThanOrEqualTo(lastSeq);
      lastSeq = seq;
    }
    long elapsedMs = (System.nanoTime() - started) / 1_000_000;
    long prepared = snapshots.preparations() - before;
    assertThat(prepared).isLessThanOrEqualTo(elapsedMs / 300 + 2).isLessThan(requests);
  }

  @Test
  void aVariantIsEncodedOncePerPreparedVersion() throws Exception {
    PreparedSnapshot p = snapshots.prepared().get(10, TimeUnit.SECONDS);
    int[] calls = {0};
    java.util.function.UnaryOperator<JsonObject> reducer =
        json -> {
          synchronized (calls) {
            calls[0]++;
          }
          return PublicSnapshot.reduce(json);
        };
    PreparedSnapshot.Encoded a = p.variant("public", reducer).get(10, TimeUnit.SECONDS);
    PreparedSnapshot.Encoded b = p.variant("public", reducer).get(10, TimeUnit.SECONDS);
    assertThat(b).isSameAs(a);
    assertThat(calls[0]).isEqualTo(1);
    assertThat(new JsonObject(a.identity()).getBoolean("public")).isTrue();
    assertThat(a.etag()).isNotEqualTo(p.full().etag());
    // Asked for recently: the next version prepares it ahead, so its readers do not wait.
    metrics(2, 0.9);
    owner.read(a2 -> a2.state().seq()).get(10, TimeUnit.SECONDS);
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> snapshots.latest().version() > p.version());
    PreparedSnapshot next = snapshots.latest();
    assertThat(next.variant("public", reducer).isDone()).isTrue();
    assertThat(calls[0]).isEqualTo(2);
  }
}
