package io.ferry.agent.bench;

import java.util.Optional;

/**
 * A distribution-free confidence interval of the median from order statistics: with n sorted
 * values x(1) ≤ … ≤ x(n), the interval [x(j), x(n−j+1)] holds the true median with probability
 * 1 − 2·P(B ≤ j−1), B ~ Binomial(n, ½). {@code j} is the largest rank that keeps this coverage at
 * or above the asked confidence, so the interval is the narrowest such one; its exact coverage is
 * reported because order statistics can only reach discrete levels.
 *
 * @param lowerRank j, 1-based
 * @param upperRank n − j + 1, 1-based
 * @param coverage exact coverage 1 − 2·P(B ≤ j−1)
 */
public record MedianInterval(int lowerRank, int upperRank, double coverage) {
  public static final double CONFIDENCE = 0.95;

  /** Empty when n is too small for any order-statistic interval to reach the confidence (n < 6 at 95%). */
  public static Optional<MedianInterval> forCount(int n, double confidence) {
    if (n < 1) {
      return Optional.empty();
    }
    MedianInterval best = null;
    double cumulative = 0; // P(B <= j-1)
    for (int j = 1; j <= (n + 1) / 2; j++) {
      cumulative += binomialHalf(n, j - 1);
      double coverage = 1 - 2 * cumulative;
      if (coverage < confidence) {
        break;
      }
      best = new MedianInterval(j, n - j + 1, coverage);
    }
    return Optional.ofNullable(best);
  }

  /** P(B = k) for B ~ Binomial(n, ½), in logs so that large n does not overflow. */
  static double binomialHalf(int n, int k) {
    double log = 0;
    for (int i = 1; i <= k; i++) {
      log += Math.log(n - k + i) - Math.log(i);
    }
    return Math.exp(log - n * Math.log(2));
  }
}
