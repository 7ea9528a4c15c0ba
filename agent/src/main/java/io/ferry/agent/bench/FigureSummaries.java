package io.ferry.agent.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The summary of every figure over a set of runs, in table order: the main figures, then phases. */
public final class FigureSummaries {
  /** The main figures' order; any other figure (the phases) follows in the order first seen. */
  public static final List<String> ORDER = List.of(
      MigrationRunFigures.DOWNTIME, MigrationRunFigures.TOTAL, MigrationRunFigures.SETUP,
      MigrationRunFigures.SWITCHOVER, MigrationRunFigures.HEARTBEAT, MigrationRunFigures.ABSENCE,
      MigrationRunFigures.OVERHEAD, MigrationRunFigures.CPU, MigrationRunFigures.WALL, RawBaseline.WALL);

  private FigureSummaries() {}

  public static Map<String, Summary> of(List<MigrationRunFigures> runs) {
    Map<String, List<Double>> byFigure = new LinkedHashMap<>();
    for (MigrationRunFigures run : runs) {
      run.millis().forEach((name, value) -> byFigure.computeIfAbsent(name, n -> new ArrayList<>()).add(value));
    }
    Map<String, Summary> out = new LinkedHashMap<>();
    for (String name : ORDER) {
      if (byFigure.containsKey(name)) {
        out.put(name, Summary.of(byFigure.get(name)));
      }
    }
    byFigure.forEach((name, values) -> out.putIfAbsent(name, Summary.of(values)));
    return Collections.unmodifiableMap(out);
  }
}
