package io.ferry.agent.bench;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Result;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One benchmarked migration ({@code slot} 1..P: which of the run's parallel guests moved): its figures in milliseconds by name (a figure QEMU or the guest did
 * not give is absent; the names are the columns of the summary), and the orchestrator's raw
 * figures (phases, per-device absence, bytes, passes, setup time) for {@code runs.ndjson}.
 */
public record MigrationRunFigures(
    int run, int slot, Result result, Map<String, Double> millis, MigrationFigures figures) {
  public static final String DOWNTIME = "qemu downtime";
  public static final String TOTAL = "qemu total time";
  public static final String SETUP = "qemu setup time";
  public static final String SWITCHOVER = "switchover gap";
  public static final String HEARTBEAT = "heartbeat gap";  // across the switchover: last beat on the source to first on the destination
  public static final String ABSENCE = "device absence";  // the longest over the run's devices
  public static final String OVERHEAD = "ferry overhead";
  public static final String CPU = "ferry CPU";  // with --ferry-cpu: CPU time of ferry's thread in the overhead
  public static final String WALL = "wall time";
  /** Prefix of the per-phase figures, e.g. {@code phase UNPLUG}. */
  public static final String PHASE = "phase ";

  public MigrationRunFigures {
    millis = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(millis));
    figures = Objects.requireNonNullElse(figures, MigrationFigures.none());
  }

  /** A migration of a bench without {@code --parallel} (slot 1). */
  public MigrationRunFigures(int run, Result result, Map<String, Double> millis, MigrationFigures figures) {
    this(run, 1, result, millis, figures);
  }

  public MigrationRunFigures(int run, Result result, Map<String, Double> millis) {
    this(run, 1, result, millis, MigrationFigures.none());
  }
}
