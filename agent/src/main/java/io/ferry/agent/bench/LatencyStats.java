package io.ferry.agent.bench;

import java.util.Arrays;

/** Median and 99th percentile of a set of round trips, in nanoseconds. */
public record LatencyStats(int count, long medianNanos, long p99Nanos) {
  public static LatencyStats of(long[] samples) {
    if (samples.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    long[] sorted = samples.clone();
    Arrays.sort(sorted);
    return new LatencyStats(sorted.length, percentile(sorted, 50), percentile(sorted, 99));
  }

  /** Nearest-rank percentile. */
  static long percentile(long[] sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public double medianMicros() {
    return medianNanos / 1000.0;
  }

  public double p99Micros() {
    return p99Nanos / 1000.0;
  }
}
