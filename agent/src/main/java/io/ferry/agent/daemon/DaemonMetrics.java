package io.ferry.agent.daemon;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.migration.MigrationOutcome;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
  private final AtomicLong subscribersDropped = new AtomicLong();
  // QMP round trips are sub-millisecond for queries and up to seconds for a loaded QEMU.
  private static final double[] QMP_BOUNDS =
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  // Keyed by command name: a set bounded by the commands ferry's own code sends.
  private final Map<String, Histogram> qmpRoundTrips = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> qmpErrors = new ConcurrentHashMap<>();

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

  /** A {@link io.ferry.qmp.QmpRoundTripListener}: called on QMP event loops, so only counts. */
  void qmpRoundTrip(String command, long nanos, boolean error) {
    qmpRoundTrips.computeIfAbsent(command, c -> new Histogram(QMP_BOUNDS)).observe(nanos / 1e9);
    if (error) {
      qmpErrors.computeIfAbsent(command, c -> new AtomicLong()).incrementAndGet();
    }
  }

  void subscriberAdded() {
    subscribers.incrementAndGet();
  }

  void subscriberRemoved() {
    subscribers.decrementAndGet();
  }

  /** A stream dropped because its client read too slowly (it stays open until its notice is read). */
  void subscriberDropped() {
    subscribersDropped.incrementAndGet();
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
    out.append("# HELP ferry_qmp_round_trip_seconds QMP commands of migrations, from write to reply, by command.\n");
    out.append("# TYPE ferry_qmp_round_trip_seconds histogram\n");
    new TreeMap<>(qmpRoundTrips).forEach((c, h) ->
        h.render(out, "ferry_qmp_round_trip_seconds", "command=\"" + label(c) + "\","));
    out.append("# HELP ferry_qmp_errors_total QMP commands of migrations answered with an error, by command.\n");
    out.append("# TYPE ferry_qmp_errors_total counter\n");
    new TreeMap<>(qmpErrors).forEach((c, n) ->
        out.append("ferry_qmp_errors_total{command=\"").append(label(c)).append("\"} ").append(n.get()).append('\n'));
    out.append("# HELP ferry_event_subscribers Open event streams.\n");
    out.append("# TYPE ferry_event_subscribers gauge\n");
    out.append("ferry_event_subscribers ").append(subscribers.get()).append('\n');
    out.append("# HELP ferry_event_subscribers_dropped_total Event streams dropped because their client read too slowly.\n");
    out.append("# TYPE ferry_event_subscribers_dropped_total counter\n");
    out.append("ferry_event_subscribers_dropped_total ").append(subscribersDropped.get()).append('\n');
    return out.toString();
  }

  /** A label value escaped as the exposition format requires. */
  private static String label(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
