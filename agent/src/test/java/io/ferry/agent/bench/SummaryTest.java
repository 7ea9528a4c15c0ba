package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles over run figures, independent of input order. */
class SummaryTest {
  @Test
  void medianP95AndMaxByNearestRank() {
    List<Double> values = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      values.add((double) i);
    }
    Collections.shuffle(values);
    Summary s = Summary.of(values);
    assertThat(s.count()).isEqualTo(20);
    assertThat(s.median()).isEqualTo(10.0);
    assertThat(s.p95()).isEqualTo(19.0);
    assertThat(s.max()).isEqualTo(20.0);
  }

  @Test
  void oneValueIsItsOwnSummaryAndNoneIsNaN() {
    assertThat(Summary.of(List.of(7.5))).isEqualTo(new Summary(1, 7.5, 7.5, 7.5));
    assertThat(Summary.of(List.of()).median()).isNaN();
  }
}
