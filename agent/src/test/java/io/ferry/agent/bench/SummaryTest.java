package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles and the order-statistic CI of the median, independent of input order. */
class SummaryTest {
  @Test
  void medianP95MaxAndMedianCiByRank() {
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
    // n = 20: the 6th and 15th order statistics (tabulated binomial interval, 95.86% coverage).
    assertThat(s.medianCiLow()).isEqualTo(6.0);
    assertThat(s.medianCiHigh()).isEqualTo(15.0);
    assertThat(s.hasMedianCi()).isTrue();
  }

  @Test
  void oneValueIsItsOwnSummaryWithoutCiAndNoneIsNaN() {
    Summary one = Summary.of(List.of(7.5));
    assertThat(one.count()).isEqualTo(1);
    assertThat(one.median()).isEqualTo(7.5);
    assertThat(one.p95()).isEqualTo(7.5);
    assertThat(one.max()).isEqualTo(7.5);
    assertThat(one.hasMedianCi()).isFalse();
    assertThat(Summary.of(List.of()).median()).isNaN();
  }

  @Test
  void medianIntervalRanksMatchTheBinomialTable() {
    // Known values (e.g. Conover, Practical Nonparametric Statistics, table A3 / exact binomial).
    assertThat(MedianInterval.forCount(6, 0.95)).contains(new MedianInterval(1, 6, 1 - 2 / 64.0));
    var ten = MedianInterval.forCount(10, 0.95).orElseThrow();
    assertThat(ten.lowerRank()).isEqualTo(2);
    assertThat(ten.upperRank()).isEqualTo(9);
    assertThat(ten.coverage()).isCloseTo(1 - 2 * 11 / 1024.0, within(1e-12));
    var twenty = MedianInterval.forCount(20, 0.95).orElseThrow();
    assertThat(twenty.lowerRank()).isEqualTo(6);
    assertThat(twenty.upperRank()).isEqualTo(15);
    assertThat(twenty.coverage()).isCloseTo(0.9586, within(1e-4));
    var hundred = MedianInterval.forCount(100, 0.95).orElseThrow();
    assertThat(hundred.lowerRank()).isEqualTo(40);
    assertThat(hundred.upperRank()).isEqualTo(61);
    assertThat(hundred.coverage()).isCloseTo(0.9648, within(1e-4));
  }

  @Test
  void tooFewRunsHaveNoInterval() {
    // n = 5: even [min, max] covers only 1 - 2/32 = 93.75%.
    assertThat(MedianInterval.forCount(5, 0.95)).isEmpty();
    assertThat(MedianInterval.forCount(0, 0.95)).isEmpty();
  }
}
