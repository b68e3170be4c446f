package org.daarion.livingmap.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The configuration tables in README.md and docs/OPERATIONS.md are exactly {@link
 * Config#markdownReference()}. Run {@link #main} to regenerate both after adding a setting.
 */
class ReadmeSyncTest {
  static final String BEGIN = "<!-- settings:begin -->\n";
  static final String END = "<!-- settings:end -->";
  static final List<Path> DOCS = List.of(Path.of("README.md"), Path.of("docs/OPERATIONS.md"));

  @Test
  void configurationTablesAreTheGeneratedOne() throws IOException {
    for (Path doc : DOCS) {
      String text = Files.readString(doc);
      int begin = text.indexOf(BEGIN);
      int end = text.indexOf(END);
      assertThat(begin).as(doc + " has the settings markers").isPositive();
      assertThat(text.substring(begin + BEGIN.length(), end))
          .as("regenerate " + doc + " with ReadmeSyncTest.main")
          .isEqualTo(Config.markdownReference());
    }
  }

  @Test
  void everySettingIsInTheReference() {
    String table = Config.markdownReference();
    for (Setting s : Settings.ALL) {
      assertThat(table).contains("`" + s.env() + "`").contains("`" + s.flag() + "`");
    }
  }

  /** Rewrites the tables between the markers. */
  public static void main(String[] args) throws IOException {
    for (Path doc : DOCS) {
      String text = Files.readString(doc);
      int begin = text.indexOf(BEGIN);
      int end = text.indexOf(END);
      Files.writeString(
          doc,
          text.substring(0, begin + BEGIN.length())
              + Config.markdownReference()
              + text.substring(end));
    }
  }
}
