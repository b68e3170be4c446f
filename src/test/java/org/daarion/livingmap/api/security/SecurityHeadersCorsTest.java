package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** CORS allowlist and security headers. */
class SecurityHeadersCorsTest {
  static HttpResponse<String> preflight(TestServer s, String origin) {
    return s.send(
        HttpRequest.newBuilder(s.uri("/living-map/entities"))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody()),
        "Origin",
        origin,
        "Access-Control-Request-Method",
        "GET",
        "Access-Control-Request-Headers",
        "authorization");
  }

  @Test
  void withAuthOnOnlyListedOriginsAreAllowed() {
    try (TestServer s =
        new TestServer(
            TestServer.env(
                "LIVING_MAP_AUTH", "jwt",
                "LIVING_MAP_JWT_SECRET", Tokens.SECRET,
                "LIVING_MAP_CORS_ORIGINS", "https://daarion.city"),
            false)) {
      HttpResponse<String> ok = preflight(s, "https://daarion.city");
      assertThat(ok.statusCode()).isEqualTo(204);
      assertThat(ok.headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue("https://daarion.city");
      assertThat(ok.headers().firstValue("Access-Control-Allow-Headers").orElse(""))
          .contains("Authorization");
      HttpResponse<String> evil = preflight(s, "https://evil.example");
      assertThat(evil.statusCode()).isEqualTo(403);
      assertThat(evil.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
      String token = Tokens.hs256(Tokens.reader());
      HttpResponse<String> simple =
          s.get(
              "/living-map/entities",
              "Origin",
              "https://evil.example",
              "Authorization",
              "Bearer " + token);
      assertThat(simple.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
      HttpResponse<String> listed =
          s.get(
              "/living-map/entities",
              "Origin",
              "https://daarion.city",
              "Authorization",
              "Bearer " + token);
      assertThat(listed.statusCode()).isEqualTo(200);
      assertThat(listed.headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue("https://daarion.city");
      // same origin (the UI) passes without CORS headers
      HttpResponse<String> same =
          s.get(
              "/living-map/entities",
              "Origin",
              "http://127.0.0.1:" + s.port,
              "Authorization",
              "Bearer " + token);
      assertThat(same.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void withAuthOffTheDefaultIsAnyOriginAndNothingIsRefused() {
    try (TestServer s = new TestServer(TestServer.env(), false)) {
      HttpResponse<String> r = preflight(s, "https://anywhere.example");
      assertThat(r.statusCode()).isEqualTo(204);
      assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
      assertThat(s.get("/living-map/entities").statusCode()).isEqualTo(200);
      assertThat(s.get("/metrics").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void securityHeadersAreOnApiUiAndErrors() {
    try (TestServer s = new TestServer(TestServer.env(), false)) {
      for (String path :
          new String[] {"/", "/living-map/entities", "/living-map/nope", "/living-map/docs"}) {
        HttpResponse<String> r = s.get(path, "Accept", "text/html");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
        assertThat(r.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
        assertThat(r.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
        assertThat(csp)
            .as(path)
            .contains(
                "default-src 'self'",
                "frame-ancestors 'none'",
                "connect-src 'self' ws://127.0.0.1:" + s.port);
      }
      HttpResponse<String> docs = s.get("/living-map/docs");
      String csp = docs.headers().firstValue("Content-Security-Policy").orElseThrow();
      String nonce = csp.replaceAll(".*'nonce-([^']+)'.*", "$1");
      assertThat(docs.body()).contains("<script nonce=\"" + nonce + "\">");
    }
  }
}
