package io.ferry.agent.bench;

import java.util.Arrays;
import java.util.Collection;

/** Median, 95th percentile and maximum of a figure over runs (nearest-rank percentiles). */
public record Summary(int count, double median, double p95, double max) {
  public static Summary of(Collection<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (sorted.length == 0) {
      return new Summary(0, Double.NaN, Double.NaN, Double.NaN);
    }
    return new Summary(sorted.length, rank(sorted, 0.50), rank(sorted, 0.95), sorted[sorted.length - 1]);
  }

  /** The smallest value with at least {@code q} of the values at or below it. */
  static double rank(double[] sorted, double q) {
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  @Override
  public String toString() {
    return "Summary" + Arrays.toString(new double[] {count, median, p95, max});
  }
}
