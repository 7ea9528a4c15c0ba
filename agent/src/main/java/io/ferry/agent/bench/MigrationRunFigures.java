package io.ferry.agent.bench;

import io.ferry.agent.event.Result;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One benchmarked migration's figures in milliseconds, by name; a figure QEMU or the guest did
 * not give is absent. The names are the columns of the summary.
 */
public record MigrationRunFigures(int run, Result result, Map<String, Double> millis) {
  public static final String DOWNTIME = "qemu downtime";
  public static final String TOTAL = "qemu total time";
  public static final String SWITCHOVER = "switchover gap";
  public static final String HEARTBEAT = "heartbeat gap";  // across the switchover: last beat on the source to first on the destination
  public static final String ABSENCE = "device absence";
  public static final String OVERHEAD = "ferry overhead";
  public static final String WALL = "wall time";

  public MigrationRunFigures {
    millis = Map.copyOf(new LinkedHashMap<>(millis));
  }
}
