package io.ferry.agent.bench;

import java.io.PrintWriter;
import java.util.Map;

/** The summary as a Markdown table: median, its 95% CI, p95 and max per figure. */
public final class SummaryTable {
  private SummaryTable() {}

  public static void print(PrintWriter out, Map<String, Summary> figures) {
    // The figure column is as wide as its longest name (at least 18, e.g. "libvirt device absence").
    int width = Math.max(18, figures.keySet().stream().mapToInt(String::length).max().orElse(0));
    out.printf("| %-" + width + "s | %5s | %10s | %-21s | %10s | %10s |%n",
        "figure (ms)", "runs", "median", "95% CI of median", "p95", "max");
    out.printf("|%s|%s|%s|%s|%s|%s|%n", "-".repeat(width + 2), "-".repeat(7), "-".repeat(12),
        "-".repeat(23), "-".repeat(12), "-".repeat(12));
    figures.forEach((name, s) -> out.printf("| %-" + width + "s | %5d | %10.2f | %-21s | %10.2f | %10.2f |%n",
        name, s.count(), s.median(), ci(s), s.p95(), s.max()));
    out.flush();
  }

  static String ci(Summary s) {
    return s.hasMedianCi() ? String.format("%.2f – %.2f", s.medianCiLow(), s.medianCiHigh()) : "n/a (< 6 runs)";
  }
}
