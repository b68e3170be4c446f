package org.daarion.livingmap.visibility;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The visibility door holds only if routes write their bodies through it ({@code
 * api/http/Responses}). This finds every place in the service's sources that ends or writes a
 * response with a body and checks it is one of the few that carry no data about entities. A new
 * route that writes its own bytes fails here: send them through {@code Responses} (or, if they
 * cannot name an entity, add the place below with the reason).
 */
class OneDoorTest {
  /** File -> why its bodies need no filter. */
  private static final Map<String, String> ALLOWED =
      Map.of(
          "api/http/Responses.java", "the door itself",
          "api/security/Errors.java", "auth, CORS, rate-limit and 503 errors: fixed texts",
          "api/http/ApiServer.java", "the docs page and Prometheus metrics: no entity ids",
          "stream/StreamEndpoint.java", "a refused upgrade: the parameter's own error",
          "api/StreamRoutes.java", "a refused WebSocket admission: fixed texts",
          "simulator/SimulatorHttpServer.java", "the simulator's upstream, not the API");

  private static final Pattern BODY_WRITE =
      Pattern.compile("\\.(end|write)\\(\\s*[^)\\s]|\\.sendFile\\(");

  @Test
  void onlyTheDoorWritesResponseBodies() throws IOException {
    Path root = Path.of("src/main/java/org/daarion/livingmap");
    List<String> offenders;
    try (Stream<Path> files = Files.walk(root)) {
      offenders =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .flatMap(p -> writes(root, p).stream())
              .toList();
    }
    assertThat(offenders).isEmpty();
  }

  @Test
  void aRouteWritingItsOwnBodyIsFound(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("api/NewRoutes.java");
    Files.createDirectories(file.getParent());
    Files.writeString(
        file,
        "class NewRoutes {\n  void a(RoutingContext ctx) {\n    ctx.response()\n"
            + "        .putHeader(\"Content-Type\", \"application/json\")\n"
            + "        .end(body);\n  }\n}\n");
    assertThat(writes(dir, file)).hasSize(1);
  }

  private static List<String> writes(Path root, Path file) {
    String rel = root.relativize(file).toString().replace('\\', '/');
    if (ALLOWED.containsKey(rel)
        || rel.startsWith("stream/") && !rel.equals("stream/StreamEndpoint.java")) {
      // The stream's socket writes are frames filtered per class in StreamHub/StreamConnection.
      return List.of();
    }
    try {
      String[] lines = Files.readString(file).split("\n");
      List<String> out = new java.util.ArrayList<>();
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i].trim();
        if (line.startsWith("*") || line.startsWith("//")) {
          continue;
        }
        Matcher m = BODY_WRITE.matcher(line);
        if (m.find() && (line.contains("response()") || lookBack(lines, i))) {
          out.add(rel + ":" + (i + 1) + ": " + line);
        }
      }
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A chained {@code ctx.response()...} call spread over the lines before. */
  private static boolean lookBack(String[] lines, int i) {
    for (int k = i - 1; k >= Math.max(0, i - 6); k--) {
      if (lines[k].contains("response()")) {
        return true;
      }
      if (lines[k].trim().endsWith(";")) {
        return false;
      }
    }
    return false;
  }
}
