package org.daarion.livingmap.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the DAARION fixtures (copied from shared/fixtures) from the test classpath. */
public final class Fixtures {
  private Fixtures() {}

  public static byte[] bytes(String path) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String text(String path) {
    return new String(bytes(path), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** An event payload from fixtures/events/{subject}.json. */
  public static JsonObject event(String file) {
    return new JsonObject(text("events/" + file + ".json"));
  }
}
