package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.testing.RawHttp;
import org.daarion.livingmap.testing.TestApps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 part 4, the findings as reported: each crafted request gets a 4xx whose body is JSON
 * naming the problem, never a 5xx, never PostgreSQL's text; repeated bad input is counted, not
 * logged line by line.
 */
class CraftedRequestsTest {
  private static Application app;
  private static RawHttp http;

  @BeforeAll
  static void start() {
    app = TestApps.start(TestApps.config(Map.of("LIVING_MAP_SIMULATOR", "off")));
    http = new RawHttp(app.port());
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  private static void assertJson4xx(RawHttp.Answer a, int status, String mentions) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(a.jsonBody()).as(a.contentType() + " " + a.body()).isTrue();
    assertThat(a.json().getString("error")).isNotBlank();
    assertThat(a.json().getString("detail")).contains(mentions);
    assertThat(a.body()).doesNotContain("ERROR:").doesNotContain("PSQLException");
  }

  @Test
  void malformedEscapesInAPathAre400() {
    for (String[] c :
        List.of(
            new String[] {"GET", "/living-map/entities/%zz"},
            new String[] {"GET", "/living-map/alerts/%1"},
            new String[] {"DELETE", "/living-map/silences/%zz"},
            new String[] {"GET", "/living-map/entities/%C3%28"},
            new String[] {"GET", "/living-map/entities/a%00b"})) {
      assertJson4xx(http.send(c[0], c[1]), 400, "the path");
    }
  }

  @Test
  void malformedQueryEscapesAre400AndLoggedOnce() {
    long before = app.apiBadInput().count("malformed_query");
    for (int i = 0; i < 50; i++) {
      assertJson4xx(http.send("GET", "/living-map/history?event_type=%zz"), 400, "query string");
    }
    assertThat(app.apiBadInput().count("malformed_query")).isEqualTo(before + 50);
    assertThat(app.metrics().scrape())
        .contains("living_map_bad_requests_total{kind=\"malformed_query\"}");
  }

  @Test
  void aStreamUpgradeWithAMalformedQueryEscapeIs400Json() {
    for (String q : new String[] {"layers=%zz", "%zz=1", "since_seq=%", "events=%E0%A4%A"}) {
      assertJson4xx(
          http.send(
              "GET",
              "/living-map/stream?" + q,
              "Upgrade: websocket",
              "Connection: Upgrade",
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
              "Sec-WebSocket-Version: 13"),
          400,
          "query string");
    }
  }

  @Test
  void historyFiltersThatPostgresWouldRefuseAre400WithoutItsText() {
    assertJson4xx(http.send("GET", "/living-map/history?entity_id=a%00b"), 400, "control");
    assertJson4xx(
        http.send("GET", "/living-map/history?since=%2B999999999-01-01T00:00:00Z"), 400, "years");
    assertJson4xx(
        http.send("GET", "/living-map/history?until=-999999999-01-01T00:00:00Z"), 400, "years");
    assertJson4xx(
        http.send("GET", "/living-map/history/stats?since=%2B999999999-01-01"), 400, "years");
    assertJson4xx(
        http.send("GET", "/living-map/snapshot?at=%2B999999999-01-01T00:00:00Z"), 400, "years");
  }

  @Test
  void errorsOutsideTheApiAndFromTheHttpCodecAreJsonToo() {
    assertJson4xx(http.send("GET", "/no/such/file.txt"), 404, "no route");
    assertJson4xx(http.send("GET", "/living-map/entities/x/y/z"), 404, "no route");
    assertJson4xx(http.send("GET", "/living-map/" + "a".repeat(20_000)), 414, "request line");
    assertJson4xx(
        http.send("GET", "/living-map/health", "X-Big: " + "b".repeat(20_000)), 431, "headers");
    RawHttp.Answer broken =
        http.sendRaw("GARBAGE\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertJson4xx(broken, 400, "HTTP");
    assertJson4xx(http.send("PATCH", "/living-map/snapshot"), 404, "no route");
  }
}
