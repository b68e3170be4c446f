package org.daarion.livingmap.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document and the router agree: every route the server's router has (under {@code
 * /living-map} and {@code /metrics}) is documented, and every documented operation not marked
 * {@code x-living-map-pending} is routed. A pending operation that is routed fails too, so the flag
 * is removed when the route lands.
 */
class OpenApiTest {
  static org.daarion.livingmap.app.Application app;
  static JsonObject doc;

  /** The whole service, as it runs: every route group the composition root mounts. */
  @BeforeAll
  static void start() {
    app =
        org.daarion.livingmap.testing.TestApps.start(
            org.daarion.livingmap.testing.TestApps.config(
                java.util.Map.of("LIVING_MAP_SIM_RATE", "0")));
    doc =
        new JsonObject(
            new org.daarion.livingmap.testing.Http(app.port())
                .get("/living-map/openapi.json")
                .body());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** METHOD path pairs of the real router, with {@code :id} written {@code {id}}. */
  static Set<String> routed() {
    Set<String> out = new TreeSet<>();
    for (Route r : app.apiRouter().getRoutes()) {
      String path = r.getPath();
      if (path == null || r.methods() == null) {
        continue; // front handlers for every path
      }
      if (!r.isExactPath() && !path.contains(":")) {
        continue; // catch-alls: the JSON 404 and the UI's static files
      }
      if (!(path.startsWith("/living-map") || path.equals("/metrics"))) {
        continue;
      }
      String p =
          path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      p = p.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      for (HttpMethod m : r.methods()) {
        out.add(m.name() + " " + p);
      }
    }
    return out;
  }

  static Set<String> documented(boolean pending) {
    Set<String> out = new TreeSet<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject op = item.getJsonObject(method);
        if (op.getBoolean("x-living-map-pending", false) == pending) {
          out.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path);
        }
      }
    }
    return out;
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedRouteExists() {
    Set<String> routed = routed();
    assertThat(routed)
        .contains(
            "GET /living-map/health",
            "GET /living-map/entities/{id}",
            "GET /metrics",
            "GET /living-map/openapi.json",
            "GET /living-map/docs");
    assertThat(documented(false))
        .as("operations documented as implemented must be routed, and vice versa")
        .containsExactlyInAnyOrderElementsOf(routed);
    Set<String> pendingButRouted = new TreeSet<>(documented(true));
    pendingButRouted.retainAll(routed);
    assertThat(pendingButRouted)
        .as("routed now: remove x-living-map-pending from these operations in openapi.json")
        .isEmpty();
  }

  @Test
  void theContractRoutesAreAllDescribed() {
    Set<String> all = new TreeSet<>(documented(false));
    all.addAll(documented(true));
    assertThat(all)
        .contains(
            "GET /living-map/health",
            "GET /living-map/health/live",
            "GET /living-map/health/ready",
            "GET /living-map/snapshot",
            "GET /living-map/snapshots",
            "GET /living-map/entities",
            "GET /living-map/entities/facets",
            "GET /living-map/entities/{id}",
            "GET /living-map/history",
            "GET /living-map/history/stats",
            "GET /living-map/rejected",
            "GET /living-map/sources",
            "GET /living-map/graph",
            "GET /living-map/stream",
            "GET /living-map/alerts",
            "POST /living-map/alerts/{id}/ack",
            "GET /metrics",
            "GET /living-map/openapi.json",
            "GET /living-map/docs");
  }

  @Test
  void theDocumentIsWellFormed() {
    assertThat(doc.getString("openapi")).startsWith("3.1");
    JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
    JsonObject responses = doc.getJsonObject("components").getJsonObject("responses");
    Pattern param = Pattern.compile("\\{([^}]+)}");
    String text = doc.encode();
    Matcher refs = Pattern.compile("#/components/(schemas|responses)/([A-Za-z]+)").matcher(text);
    while (refs.find()) {
      JsonObject target = refs.group(1).equals("schemas") ? schemas : responses;
      assertThat(target.containsKey(refs.group(2))).as(refs.group()).isTrue();
    }
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        JsonObject op = paths.getJsonObject(path).getJsonObject(method);
        assertThat(op.getJsonObject("responses")).as(path).isNotEmpty();
        assertThat(op.getString("summary")).as(path).isNotBlank();
        JsonArray params = op.getJsonArray("parameters", new JsonArray());
        Matcher m = param.matcher(path);
        while (m.find()) {
          String name = m.group(1);
          assertThat(
                  params.stream()
                      .map(JsonObject.class::cast)
                      .anyMatch(
                          p ->
                              name.equals(p.getString("name")) && "path".equals(p.getString("in"))))
              .as(method + " " + path + " declares {" + name + "}")
              .isTrue();
        }
      }
    }
    // query parameters the entity route reads are described
    JsonArray entityParams =
        paths.getJsonObject("/living-map/entities").getJsonObject("get").getJsonArray("parameters");
    assertThat(entityParams.stream().map(o -> ((JsonObject) o).getString("name")))
        .contains("type", "layer", "status", "q", "sort", "fields", "limit", "offset", "cursor");
  }

  @Test
  void theDocsPageRendersTheDocument() {
    var r = new org.daarion.livingmap.testing.Http(app.port()).get("/living-map/docs");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(r.body()).contains("openapi.json").contains("Try it").doesNotContain("https://");
  }
}
