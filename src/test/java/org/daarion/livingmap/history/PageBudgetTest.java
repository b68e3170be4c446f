package org.daarion.livingmap.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

class PageBudgetTest {
  @Test
  void theFirstRowAlwaysFitsSoAPageMovesOnThenTheBudgetStopsIt() {
    PageBudget b = new PageBudget(1_000, 1_000_000);
    assertThat(b.take(5_000)).isTrue();
    assertThat(b.truncated()).isFalse();
    assertThat(b.take(10)).isFalse();
    assertThat(b.truncated()).isTrue();
  }

  @Test
  void rowsAreTakenWhileTheirTextAndOverheadFit() {
    PageBudget b = new PageBudget(10_000, 1_000_000);
    int taken = 0;
    while (b.take(700)) {
      taken++;
    }
    // 700 chars + 256 overhead = 956 bytes a row, and 1,024 for the page's own fields: nine fit
    // in 10,000, the tenth does not.
    assertThat(taken).isEqualTo(9);
    assertThat(b.used()).isEqualTo(8_604);
    assertThat(b.truncated()).isTrue();
  }

  @Test
  void aRoundOfRowsNeverHoldsMoreThanFourMiBOfTheLargestRowsTheTableCanHave() throws Exception {
    int[] fetch = {0};
    ResultSet rs =
        (ResultSet)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ResultSet.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("setFetchSize")) {
                    fetch[0] = (int) args[0];
                  }
                  return null;
                });
    // small rows so far, but rows of 1 MiB may come next: three of them, not 256
    PageBudget b = new PageBudget(1 << 20, PageBudget.ROW_OVERHEAD + (1 << 20));
    b.take(100);
    b.adjust(rs);
    assertThat(fetch[0]).isEqualTo(3);
    // where rows cannot be large, small ones come in full rounds
    PageBudget small = new PageBudget(1 << 20, PageBudget.ROW_OVERHEAD + 1_000);
    small.take(100);
    small.adjust(rs);
    assertThat(fetch[0]).isEqualTo(PageBudget.MAX_FETCH);
    // and large ones one by one
    b.take(900_000);
    b.adjust(rs);
    assertThat(fetch[0]).isEqualTo(1);
  }

  @Test
  void aReplayRoundIsSizedForTheLargestEventsHistoryCanHold() {
    assertThat(PageBudget.replayRound(1 << 20)).isEqualTo(16);
    assertThat(PageBudget.replayRound(64 << 20)).isEqualTo(16);
    assertThat(PageBudget.replayRound(2_000)).isEqualTo(5_000);
    assertThat(PageBudget.replayRound(64 * 1024)).isEqualTo(255);
  }
}
