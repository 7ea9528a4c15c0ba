package io.ferry.agent.bench;

import io.ferry.agent.event.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html}: one self-contained page (inline SVG and CSS, no script, no network) with a
 * per-run phase timeline and a histogram per figure.
 *
 * <p>The timeline lays each run's phases end to end from their measured durations (the
 * orchestrator runs them in sequence): the source lane holds PREFLIGHT, UNPLUG and MIGRATE (the
 * source guest runs until MIGRATE's stop-and-copy), the destination lane REPLUG, COMMIT and
 * CLEANUP, and a third lane the device absence window, drawn with its measured length and ending
 * where the guest runs again with its devices (the end of REPLUG or COMMIT, whichever is later).
 */
public final class BenchReport {
  private static final List<Phase> SOURCE_LANE = List.of(Phase.PREFLIGHT, Phase.UNPLUG, Phase.MIGRATE);
  private static final List<Phase> DESTINATION_LANE = List.of(Phase.REPLUG, Phase.COMMIT, Phase.CLEANUP);
  private static final Map<Phase, String> COLOURS = Map.of(
      Phase.PREFLIGHT, "#9e9e9e", Phase.UNPLUG, "#ef6c00", Phase.MIGRATE, "#1565c0",
      Phase.REPLUG, "#2e7d32", Phase.COMMIT, "#6a1b9a", Phase.CLEANUP, "#795548",
      Phase.ROLLBACK, "#c62828");
  static final int BINS = 10;

  private BenchReport() {}

  /** The page for these runs; {@code title} is shown as its heading (escaped). */
  public static String html(String title, List<MigrationRunFigures> runs) {
    return html(title, runs, Map.of());
  }

  /**
   * The page with, when {@code memory} (run number to its memory) is not empty, the agent's
   * memory per run. With several slots (--parallel) each migration is a row of the timeline.
   */
  public static String html(String title, List<MigrationRunFigures> runs, Map<Integer, MemorySampler.RunMemory> memory) {
    return html(title, runs, memory, List.of());
  }

  /** The page with {@code notes} (e.g. what the libvirt baseline ran and did not run) under the title. */
  public static String html(String title, List<MigrationRunFigures> runs, Map<Integer, MemorySampler.RunMemory> memory,
      List<String> notes) {
    StringBuilder page = new StringBuilder();
    page.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title>\n<style>body{font:13px sans-serif;margin:16px;color:#222}"
            + "h1{font-size:18px}h2{font-size:15px;margin-top:24px}"
            + ".hist{display:inline-block;margin:4px}text{font:11px sans-serif}"
            + "td,th{padding:2px 10px;text-align:right}pre.notes{white-space:pre-wrap;font-size:12px}</style></head><body>\n")
        .append("<h1>").append(escape(title)).append("</h1>\n")
        .append(notes.isEmpty() ? "" : "<pre class=\"notes\">" + escape(String.join("\n", notes)) + "</pre>\n")
        .append("<h2>Phase timeline per run (ms from the plan's start)</h2>\n")
        .append(timeline(runs))
        .append("<h2>Histograms (").append(runs.size()).append(" runs)</h2>\n");
    FigureSummaries.of(runs).keySet().forEach(name -> {
      List<Double> values = new ArrayList<>();
      runs.forEach(r -> {
        Double v = r.millis().get(name);
        if (v != null) {
          values.add(v);
        }
      });
      page.append("<div class=\"hist\">").append(histogram(name, values)).append("</div>\n");
    });
    if (!memory.isEmpty()) {
      page.append(memoryTable(runs, memory));
    }
    return page.append("</body></html>\n").toString();
  }

  static String timeline(List<MigrationRunFigures> runs) {
    int labelWidth = 70;
    int width = 1100;
    int lane = 11;
    int runHeight = lane * 3 + 8;
    double maxMs = 1;
    for (MigrationRunFigures run : runs) {
      maxMs = Math.max(maxMs, totalMs(run));
    }
    double scale = (width - labelWidth - 10) / maxMs;
    boolean parallel = runs.stream().anyMatch(r -> r.slot() > 1);
    int height = runs.size() * runHeight + 60;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">%n", width, height));
    // Legend.
    int x = labelWidth;
    for (Phase phase : concat(SOURCE_LANE, DESTINATION_LANE)) {
      svg.append(rect(x, 4, 12, 10, COLOURS.get(phase), phase.name()));
      svg.append(text(x + 16, 13, phase.name()));
      x += 100;
    }
    svg.append(rect(x, 4, 12, 10, "#d32f2f", "device absence")).append(text(x + 16, 13, "device absence"));
    int y = 24;
    for (MigrationRunFigures run : runs) {
      Map<Phase, Long> phases = run.figures().phaseDurationsUs();
      String label = label(run, parallel);
      svg.append(text(4, y + lane + 2, label));
      svg.append(text(4, y + 2 * lane + 2, "src / dst"));
      double at = 0;
      double devicesBackMs = 0;
      for (Phase phase : Phase.values()) {
        Long us = phases.get(phase);
        if (us == null) {
          continue;
        }
        double ms = us / 1000.0;
        int laneIndex = SOURCE_LANE.contains(phase) ? 0 : 1;
        svg.append(rect(labelWidth + at * scale, y + laneIndex * lane, Math.max(1, ms * scale), lane - 2,
            COLOURS.getOrDefault(phase, "#000"), String.format(Locale.ROOT, "%s %s %.1f ms", label, phase, ms)));
        at += ms;
        if (phase == Phase.REPLUG || phase == Phase.COMMIT) {
          devicesBackMs = at;
        }
      }
      Double absence = run.millis().get(MigrationRunFigures.ABSENCE);
      if (absence != null) {
        double start = Math.max(0, devicesBackMs - absence);
        svg.append(rect(labelWidth + start * scale, y + 2 * lane, Math.max(1, absence * scale), lane - 2,
            "#d32f2f", String.format(Locale.ROOT, "%s device absence %.1f ms", label, absence)));
      }
      y += runHeight;
    }
    // Time axis.
    for (int tick = 0; tick <= 5; tick++) {
      double ms = maxMs * tick / 5;
      double tx = labelWidth + ms * scale;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"24\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ccc\"/>%n", tx, tx, y));
      // The last label ends at its tick so that it stays inside the picture.
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%.0f</text>%n",
          tx, y + 14, tick == 5 ? "end" : "middle", ms));
    }
    return svg.append("</svg>\n").toString();
  }

  /** Equal-width bins between the minimum and the maximum; a one-valued figure gets one bar. */
  static int[] bins(List<Double> values) {
    int[] counts = new int[BINS];
    if (values.isEmpty()) {
      return counts;
    }
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    for (double v : values) {
      int bin = max == min ? 0 : (int) Math.min(BINS - 1, Math.floor((v - min) / (max - min) * BINS));
      counts[bin]++;
    }
    return counts;
  }

  static String histogram(String name, List<Double> values) {
    int width = 260;
    int height = 140;
    int plotTop = 20;
    int plotHeight = 90;
    int[] counts = bins(values);
    int top = 1;
    for (int c : counts) {
      top = Math.max(top, c);
    }
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">%n", width, height));
    svg.append(text(4, 13, name + " (ms)"));
    double barWidth = (width - 20) / (double) BINS;
    for (int i = 0; i < BINS; i++) {
      double h = plotHeight * counts[i] / (double) top;
      svg.append(rect(10 + i * barWidth, plotTop + plotHeight - h, barWidth - 2, h, "#1565c0",
          name + ": " + counts[i] + " runs"));
    }
    if (!values.isEmpty()) {
      double min = values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      double max = values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      svg.append(text(10, plotTop + plotHeight + 14, String.format(Locale.ROOT, "%.1f", min)));
      svg.append(text(width - 60, plotTop + plotHeight + 14, String.format(Locale.ROOT, "%.1f", max)));
      Summary s = Summary.of(values);
      svg.append(text(10, plotTop + plotHeight + 28,
          String.format(Locale.ROOT, "median %.1f, p95 %.1f, max %.1f", s.median(), s.p95(), s.max())));
    }
    return svg.append("</svg>").toString();
  }

  /** "run 3", or "run 3 slot 2" when the runs migrated several guests at once. */
  static String label(MigrationRunFigures run, boolean parallel) {
    return parallel ? "run " + run.run() + " slot " + run.slot() : "run " + run.run();
  }

  /**
   * The agent's memory per run, with the run's ferry overhead median across its migrations, so the
   * two can be read together as the number of parallel migrations grows.
   */
  static String memoryTable(List<MigrationRunFigures> runs, Map<Integer, MemorySampler.RunMemory> memory) {
    StringBuilder t = new StringBuilder("<h2>Agent memory (VmRSS sampled every ")
        .append(MemorySampler.EVERY_MS).append(" ms while the run's migrations were in flight; VmHWM at its end)</h2>\n")
        .append("<table><tr><th>run</th><th>migrations</th><th>median ferry overhead (ms)</th>"
            + "<th>max VmRSS (MiB)</th><th>VmHWM (MiB)</th></tr>\n");
    memory.forEach((run, m) -> {
      List<Double> overhead = new ArrayList<>();
      int count = 0;
      for (MigrationRunFigures r : runs) {
        if (r.run() == run) {
          count++;
          Double v = r.millis().get(MigrationRunFigures.OVERHEAD);
          if (v != null) {
            overhead.add(v);
          }
        }
      }
      t.append(String.format(Locale.ROOT,
          "<tr><td>%d</td><td>%d</td><td>%s</td><td>%.1f</td><td>%.1f</td></tr>%n", run, count,
          overhead.isEmpty() ? "–" : String.format(Locale.ROOT, "%.2f", Summary.of(overhead).median()),
          m.maxRssMiB(), m.hwmMiB()));
    });
    return t.append("</table>\n").toString();
  }

  private static double totalMs(MigrationRunFigures run) {
    return run.figures().phaseDurationsUs().values().stream().mapToLong(Long::longValue).sum() / 1000.0;
  }

  private static List<Phase> concat(List<Phase> a, List<Phase> b) {
    List<Phase> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static String rect(double x, double y, double w, double h, String fill, String tooltip) {
    return String.format(Locale.ROOT,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>%n",
        x, y, w, h, fill, escape(tooltip));
  }

  private static String text(double x, double y, String s) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\">%s</text>%n", x, y, escape(s));
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
