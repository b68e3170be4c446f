package org.daarion.livingmap.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The stream's query parameters in the OpenAPI document are the ones docs/STREAM.md describes
 * (issue 13: OpenAPI said {@code event_types} where the stream reads {@code events}, and lacked
 * {@code entities}, {@code max_rate} and {@code batch}).
 */
class StreamParamsDocTest {
  /** Credentials are described with authentication, not in the filter table. */
  private static final Set<String> CREDENTIALS = Set.of("access_token");

  @Test
  void openApiStreamParametersAreTheOnesStreamMdDocuments() throws Exception {
    JsonObject openApi;
    try (var in = getClass().getClassLoader().getResourceAsStream("openapi.json")) {
      openApi = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    JsonArray params =
        openApi
            .getJsonObject("paths")
            .getJsonObject("/living-map/stream")
            .getJsonObject("get")
            .getJsonArray("parameters");
    Set<String> inOpenApi = new TreeSet<>();
    for (Object o : params) {
      JsonObject p = (JsonObject) o;
      assertThat(p.getString("in")).isEqualTo("query");
      if (!CREDENTIALS.contains(p.getString("name"))) {
        inOpenApi.add(p.getString("name"));
      }
    }

    String doc = Files.readString(Path.of("docs/STREAM.md"));
    int start = doc.indexOf("## Query parameters");
    assertThat(start).isGreaterThanOrEqualTo(0);
    int end = doc.indexOf("\n\n", doc.indexOf("|---|", start));
    Set<String> inDoc = new TreeSet<>();
    for (String line : doc.substring(start, end).split("\n")) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String first = line.split("\\|")[1];
      Matcher m = Pattern.compile("`([a-z_]+)`").matcher(first);
      while (m.find()) {
        inDoc.add(m.group(1));
      }
    }
    assertThat(inDoc).contains("events", "entities", "max_rate", "batch");
    assertThat(inOpenApi).isEqualTo(inDoc);
  }
}
