package io.ferry.agent.daemon;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.migration.MigrationOutcome;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/** The daemon's figures in the Prometheus text exposition format (version 0.0.4). */
public final class DaemonMetrics {
  // Phases last from milliseconds (PREFLIGHT) to minutes (MIGRATE of a large guest).
  private static final double[] PHASE_BOUNDS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  // QEMU downtime is tens to hundreds of milliseconds.
  private static final double[] DOWNTIME_BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  private final Map<Result, AtomicLong> byResult = new EnumMap<>(Result.class);
  private final Map<Phase, Histogram> phaseSeconds = new EnumMap<>(Phase.class);
  private final Histogram downtimeSeconds = new Histogram(DOWNTIME_BOUNDS);
  private final AtomicInteger subscribers = new AtomicInteger();

  public DaemonMetrics() {
    for (Result r : Result.values()) {
      byResult.put(r, new AtomicLong());
    }
    for (Phase p : Phase.values()) {
      if (p != Phase.DONE) {
        phaseSeconds.put(p, new Histogram(PHASE_BOUNDS));
      }
    }
  }

  void migrationEnded(MigrationOutcome outcome) {
    byResult.get(outcome.result()).incrementAndGet();
    MigrationFigures f = outcome.figures();
    if (f == null) {
      return;
    }
    f.phaseDurationsUs().forEach((phase, us) -> {
      Histogram h = phaseSeconds.get(phase);
      if (h != null && us != null) {
        h.observe(us / 1e6);
      }
    });
    if (f.downtimeMs() != null) {
      downtimeSeconds.observe(f.downtimeMs() / 1e3);
    }
  }

  void subscriberAdded() {
    subscribers.incrementAndGet();
  }

  void subscriberRemoved() {
    subscribers.decrementAndGet();
  }

  /** The exposition text; {@code running} is read at scrape time. */
  String render(IntSupplier running) {
    StringBuilder out = new StringBuilder(4096);
    out.append("# HELP ferry_migrations_total Migrations ended, by result.\n");
    out.append("# TYPE ferry_migrations_total counter\n");
    byResult.forEach((r, n) ->
        out.append("ferry_migrations_total{result=\"").append(r.name()).append("\"} ").append(n.get()).append('\n'));
    out.append("# HELP ferry_migrations_running Migrations in flight.\n");
    out.append("# TYPE ferry_migrations_running gauge\n");
    out.append("ferry_migrations_running ").append(running.getAsInt()).append('\n');
    out.append("# HELP ferry_phase_duration_seconds How long each phase of a migration took.\n");
    out.append("# TYPE ferry_phase_duration_seconds histogram\n");
    phaseSeconds.forEach((p, h) -> h.render(out, "ferry_phase_duration_seconds", "phase=\"" + p.name() + "\","));
    out.append("# HELP ferry_downtime_seconds QEMU-reported downtime of each migration.\n");
    out.append("# TYPE ferry_downtime_seconds histogram\n");
    downtimeSeconds.render(out, "ferry_downtime_seconds", "");
    out.append("# HELP ferry_event_subscribers Open event streams.\n");
    out.append("# TYPE ferry_event_subscribers gauge\n");
    out.append("ferry_event_subscribers ").append(subscribers.get()).append('\n');
    return out.toString();
  }
}
