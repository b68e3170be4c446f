package org.daarion.livingmap;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Package structure rules. Every package (and sub-package: {@code api} and {@code api.security} are
 * separate slices) depends on others in one direction only, so a package can be read, tested and
 * changed without the ones that use it (issue #16).
 */
class ArchitectureTest {

  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("org.daarion.livingmap");

  @Test
  void noPackageCycles() {
    slices().matching("org.daarion.livingmap.(**)").should().beFreeOfCycles().check(MAIN);
  }
}
