package org.daarion.livingmap;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Package structure rules (issue #16). Every package (and sub-package: {@code api} and {@code
 * api.security} are separate slices) depends on others in one direction only, so a package can be
 * read, tested and changed without the ones that use it; sources reach the state only through the
 * pipeline's door; Vert.x and Netty internals are used in one adapter; no main file grows past what
 * one reader holds in mind.
 */
class ArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("org.daarion.livingmap");

  /** The one file allowed to use Vert.x and Netty internals. */
  private static final String ADAPTER = "org.daarion.livingmap.wire.VertxInternals";

  private static final int MAX_LINES = 600;

  @Test
  void noPackageCycles() {
    slices().matching("org.daarion.livingmap.(**)").should().beFreeOfCycles().check(MAIN);
  }

  @Test
  void sourcesReachTheStateOnlyThroughTheEventDoor() {
    noClasses()
        .that()
        .resideInAPackage("org.daarion.livingmap.source..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.daarion.livingmap.state..")
        .check(MAIN);
  }

  @Test
  void vertxAndNettyInternalsOnlyInTheAdapter() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName(ADAPTER)
        .and()
        .haveNameNotMatching(ADAPTER.replace(".", "\\.") + "\\$.*")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.vertx.core.internal..",
            "io.vertx.core.http.impl..",
            "io.vertx.core.net.impl..",
            "io.netty.channel..",
            "io.netty.handler..")
        .check(MAIN);
  }

  @Test
  void noMainSourceFileOverSixHundredLines() throws IOException {
    List<String> over;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      over =
          files
              .filter(f -> f.toString().endsWith(".java"))
              .filter(f -> lines(f) > MAX_LINES)
              .map(f -> f + " (" + lines(f) + " lines)")
              .toList();
    }
    assertThat(over).as("main source files over " + MAX_LINES + " lines").isEmpty();
  }

  private static long lines(Path f) {
    try (Stream<String> l = Files.lines(f)) {
      return l.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
