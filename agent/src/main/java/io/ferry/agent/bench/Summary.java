package io.ferry.agent.bench;

import java.util.Collection;

/**
 * Median, 95th percentile and maximum of a figure over runs (nearest-rank percentiles), and a 95%
 * confidence interval of the median from order statistics ({@link MedianInterval}); the interval
 * is NaN when there are too few runs for one (fewer than 6).
 */
public record Summary(
    int count, double median, double p95, double max, double medianCiLow, double medianCiHigh) {
  public static Summary of(Collection<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (sorted.length == 0) {
      return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    var ci = MedianInterval.forCount(sorted.length, MedianInterval.CONFIDENCE);
    return new Summary(
        sorted.length,
        rank(sorted, 0.50),
        rank(sorted, 0.95),
        sorted[sorted.length - 1],
        ci.map(i -> sorted[i.lowerRank() - 1]).orElse(Double.NaN),
        ci.map(i -> sorted[i.upperRank() - 1]).orElse(Double.NaN));
  }

  /** The smallest value with at least {@code q} of the values at or below it. */
  static double rank(double[] sorted, double q) {
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  public boolean hasMedianCi() {
    return !Double.isNaN(medianCiLow);
  }
}
