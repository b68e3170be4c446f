package org.daarion.livingmap.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration table lists every setting with its default. */
class ReadmeSyncTest {
  @Test
  void readmeDocumentsEverySetting() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    for (Setting s : Settings.ALL) {
      assertThat(readme).as(s.env()).contains("`" + s.env() + "`").contains("`" + s.flag() + "`");
      if (s.defaultValue() != null) {
        assertThat(readme).as(s.env() + " default").contains("`" + s.defaultValue() + "`");
      }
    }
  }

  /** Prints the table for the README: run this test's main to regenerate it. */
  public static void main(String[] args) {
    System.out.println("| variable | flag | default | meaning |");
    System.out.println("|---|---|---|---|");
    for (Setting s : Settings.ALL) {
      System.out.printf(
          "| `%s` | `%s` | %s | %s |%n",
          s.env(),
          s.flag(),
          s.defaultValue() == null ? "unset" : "`" + s.defaultValue() + "`",
          s.doc());
    }
  }
}
