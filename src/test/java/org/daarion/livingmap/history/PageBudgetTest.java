package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PageBudgetTest {
  @Test
  void theFirstRowAlwaysFitsSoAPageMovesOnThenTheBudgetStopsIt() {
    PageBudget b = new PageBudget(1_000);
    assertThat(b.take(5_000)).isTrue();
    assertThat(b.truncated()).isFalse();
    assertThat(b.take(10)).isFalse();
    assertThat(b.truncated()).isTrue();
  }

  @Test
  void rowsAreTakenWhileTheirTextAndOverheadFit() {
    PageBudget b = new PageBudget(10_000);
    int taken = 0;
    while (b.take(700)) {
      taken++;
    }
    // 700 chars + 256 overhead = 956 bytes a row: ten fit in 10,000, the eleventh does not.
    assertThat(taken).isEqualTo(10);
    assertThat(b.used()).isEqualTo(9_560);
    assertThat(b.truncated()).isTrue();
  }
}
