package io.ferry.agent.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** {@code --compare A.json B.json}: two {@code summary.json}'s medians side by side, with B/A. */
public final class SummaryComparison {
  private SummaryComparison() {}

  /**
   * Reads the figure medians of a {@code summary.json}, in its order.
   *
   * @throws IOException if the file is unreadable or is not a bench summary
   */
  public static Map<String, Double> medians(Path summary) throws IOException {
    JsonNode root;
    try {
      root = BenchResultWriter.JSON.readTree(Files.readString(summary));
    } catch (IOException e) {
      throw new IOException(summary + ": not readable JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    JsonNode figures = root == null ? null : root.get("figures");
    if (figures == null || !figures.isObject()) {
      throw new IOException(summary + ": not a ferry bench summary.json (no \"figures\" object)");
    }
    Map<String, Double> out = new LinkedHashMap<>();
    var fields = figures.fields();
    while (fields.hasNext()) {
      var f = fields.next();
      JsonNode median = f.getValue().get("median");
      if (median == null || !(median.isNumber() || median.isNull())) {
        throw new IOException(summary + ": figure '" + f.getKey() + "' has no numeric median");
      }
      out.put(f.getKey(), median.isNull() ? Double.NaN : median.asDouble());
    }
    return out;
  }

  public static void print(PrintWriter out, Path a, Map<String, Double> medianA, Path b, Map<String, Double> medianB) {
    out.printf("A = %s%nB = %s%n%n", a, b);
    out.printf("| %-18s | %12s | %12s | %8s |%n", "median (ms)", "A", "B", "B/A");
    out.printf("|%s|%s|%s|%s|%n", "-".repeat(20), "-".repeat(14), "-".repeat(14), "-".repeat(10));
    Set<String> names = new LinkedHashSet<>(medianA.keySet());
    names.addAll(medianB.keySet());
    for (String name : names) {
      Double x = medianA.get(name);
      Double y = medianB.get(name);
      out.printf("| %-18s | %12s | %12s | %8s |%n", name, value(x), value(y), ratio(x, y));
    }
    out.flush();
  }

  private static String value(Double v) {
    return v == null || v.isNaN() ? "-" : String.format("%.2f", v);
  }

  static String ratio(Double a, Double b) {
    if (a == null || b == null || a.isNaN() || b.isNaN() || a == 0) {
      return "-";
    }
    return String.format("%.2f", b / a);
  }
}
