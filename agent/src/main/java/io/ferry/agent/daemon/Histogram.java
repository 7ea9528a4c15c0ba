package io.ferry.agent.daemon;

/** A Prometheus histogram (cumulative buckets, sum, count) in seconds; thread-safe. */
final class Histogram {
  private final double[] bounds;
  /**
   * Each bound as Prometheus text, formatted once: {@code /metrics} renders a histogram per phase
   * and per QMP command, and formatting the bounds anew took a third of the daemon's API thread
   * under the load check.
   */
  private final String[] boundLabels;
  private final long[] counts;
  private double sum;
  private long count;

  Histogram(double... bounds) {
    this.bounds = bounds.clone();
    this.boundLabels = new String[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      boundLabels[i] = number(bounds[i]);
    }
    this.counts = new long[bounds.length];
  }

  synchronized void observe(double value) {
    for (int i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        counts[i]++;
      }
    }
    sum += value;
    count++;
  }

  /** Appends the _bucket, _sum and _count lines; {@code labels} is "" or {@code key="v",}. */
  synchronized void render(StringBuilder out, String name, String labels) {
    for (int i = 0; i < bounds.length; i++) {
      out.append(name).append("_bucket{").append(labels).append("le=\"").append(boundLabels[i])
          .append("\"} ").append(counts[i]).append('\n');
    }
    out.append(name).append("_bucket{").append(labels).append("le=\"+Inf\"} ").append(count).append('\n');
    String bare = labels.isEmpty() ? "" : "{" + labels.substring(0, labels.length() - 1) + "}";
    out.append(name).append("_sum").append(bare).append(' ').append(number(sum)).append('\n');
    out.append(name).append("_count").append(bare).append(' ').append(count).append('\n');
  }

  static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) + ".0"
        : new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString(); // 0.0001, not 1.0E-4
  }
}
