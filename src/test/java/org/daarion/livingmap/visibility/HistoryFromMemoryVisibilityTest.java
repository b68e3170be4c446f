package org.daarion.livingmap.visibility;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.daarion.livingmap.visibility.VisibilityWorld.ADMIN;
import static org.daarion.livingmap.visibility.VisibilityWorld.READER;
import static org.daarion.livingmap.visibility.VisibilityWorld.leaks;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.testing.Http;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * History pages answered from memory (more rows than the exact count's cap in the recent window)
 * pass the same door as those read from PostgreSQL: a reader without the space layer's role sees no
 * DAO, an admin does, and the metric says memory answered both.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HistoryFromMemoryVisibilityTest {

  private VisibilityWorld world;
  private Http http;
  private Set<String> hidden;

  @BeforeAll
  void start() throws Exception {
    world =
        new VisibilityWorld(
            // The space layer (DAOs) hidden: few rows, so a reader's page too has more than the
            // exact count's cap of visible rows in memory.
            "space=living-map:ops", 200, Map.of("LIVING_MAP_SIM_RATE", "2000"));
    http = world.http;
    hidden = world.hiddenIds(Set.of("dao"));
  }

  @AfterAll
  void stop() {
    world.close();
  }

  private double memoryPages() {
    return http.historyPagesFromMemory(ADMIN);
  }

  @Test
  void aReaderSeesNoHiddenLayerInPagesFromMemory() {
    // Enough recent rows that memory answers the reader's newest page (seen on the metric) with
    // an estimated total, past TOTAL_CAP matching rows. The reader's, not the admin's: the
    // reader's rows are fewer (hidden layers), so the admin's total passed the cap first (seen in
    // CI: 9,730 visible rows). Below it memory answers too, with the exact count (a whole history).
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              double before = memoryPages();
              Http.Response r =
                  http.get(
                      "/living-map/history?limit=300&event_type=" + VisibilityWorld.enc(">"),
                      READER);
              return memoryPages() > before && r.json().getLong("total") > HistoryStore.TOTAL_CAP;
            });
    String jwt;
    try {
      jwt = VisibilityWorld.jwt("reader-jwt", "living-map:read");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (String path :
        List.of(
            "/living-map/history?limit=1000",
            "/living-map/history?limit=1000&offset=500",
            "/living-map/history?limit=300&event_type=" + VisibilityWorld.enc(">"))) {
      double before = memoryPages();
      Http.Response admin = http.get(path, ADMIN);
      assertThat(admin.status()).isEqualTo(200);
      assertThat(leaks(admin.body(), hidden)).as("the oracle sees hidden rows").isNotEmpty();
      for (String[] caller : List.of(READER, new String[] {"Authorization", "Bearer " + jwt})) {
        Http.Response r = http.get(path, caller);
        assertThat(r.status()).as(path).isEqualTo(200);
        assertThat(leaks(r.body(), hidden)).as(path).isEmpty();
        JsonObject page = r.json();
        assertThat(page.getJsonArray("items")).as(path).isNotEmpty();
        assertThat(page.getLong("total")).isGreaterThan((long) HistoryStore.TOTAL_CAP);
        assertThat(page.getBoolean("has_more")).isTrue();
      }
      assertThat(memoryPages()).as("%s answered from memory", path).isEqualTo(before + 3);
    }
  }

  /**
   * Pages from memory are gzipped once for every caller that sees everything; a reader's page still
   * passes the door, gzipped or not, and {@code gzip;q=0} gets identity bytes.
   */
  @Test
  void gzippedPagesFromMemoryPassTheSameDoor() throws Exception {
    String path = "/living-map/history?limit=1000";
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              double before = memoryPages();
              http.get(path, READER);
              return memoryPages() > before;
            });
    for (String[] caller : List.of(ADMIN, READER)) {
      java.net.http.HttpResponse<byte[]> zipped = raw(path, caller, "gzip");
      assertThat(zipped.statusCode()).isEqualTo(200);
      assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
      String body;
      try (var in =
          new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(zipped.body()))) {
        body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
      JsonObject page = new JsonObject(body);
      assertThat(page.getJsonArray("items")).hasSize(1000);
      if (caller == READER) {
        assertThat(leaks(body, hidden)).isEmpty();
      } else {
        assertThat(leaks(body, hidden)).as("the oracle sees hidden rows").isNotEmpty();
      }
      java.net.http.HttpResponse<byte[]> refused = raw(path, caller, "gzip;q=0");
      assertThat(refused.headers().firstValue("Content-Encoding").orElse("identity"))
          .isEqualTo("identity");
      assertThat(
              new JsonObject(io.vertx.core.buffer.Buffer.buffer(refused.body()))
                  .getJsonArray("items"))
          .hasSize(1000);
    }
  }

  private java.net.http.HttpResponse<byte[]> raw(String path, String[] caller, String encoding)
      throws Exception {
    var req =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + world.app.port() + path))
            .header("Accept-Encoding", encoding);
    for (int i = 0; i + 1 < caller.length; i += 2) {
      req.header(caller[i], caller[i + 1]);
    }
    return java.net.http.HttpClient.newHttpClient()
        .send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
  }
}
