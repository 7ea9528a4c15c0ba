package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatencyStatsTest {
  @Test
  void nearestRankMedianAndP99() {
    long[] samples = LongStream.rangeClosed(1, 100).map(i -> 101 - i).toArray();
    LatencyStats s = LatencyStats.of(samples);
    assertThat(s.count()).isEqualTo(100);
    assertThat(s.medianNanos()).isEqualTo(50);
    assertThat(s.p99Nanos()).isEqualTo(99);
  }

  @Test
  void singleSampleIsBothMedianAndP99() {
    LatencyStats s = LatencyStats.of(new long[] {7});
    assertThat(s.medianNanos()).isEqualTo(7);
    assertThat(s.p99Nanos()).isEqualTo(7);
  }
}
