package io.ferry.agent.cli;

import io.ferry.agent.bench.LatencyStats;
import io.ferry.agent.bench.QmpLatencyBench;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry bench qmp}: query-status round trips, ferry's client versus a raw socket. */
@Command(
    name = "qmp",
    mixinStandardHelpOptions = true,
    description = {
      "Round-trip latency of query-status through ferry's QMP client and through a minimal raw",
      "socket client (blocking, no JSON library), sequential and with 8 commands in flight.",
      "Without --socket it starts its own paused, empty QEMU (qemu-system-x86_64 on PATH)."
    })
public final class BenchQmpCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--socket", paramLabel = "PATH", description = "an existing QMP socket (idle VM)")
  Path socket;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "5000",
      description = "measured round trips per loop (default: ${DEFAULT-VALUE})")
  int iterations;

  @Override
  public Integer call() throws Exception {
    if (BenchCommand.optionsBeforeSubcommand(spec)) {
      return ExitCodes.INVALID;
    }
    if (iterations < 32) {
      System.err.println("ferry bench qmp: --iterations must be at least 32");
      return 2;
    }
    QmpLatencyBench.Result r;
    if (socket != null) {
      r = QmpLatencyBench.run(socket, iterations);
    } else {
      try (var qemu = io.ferry.agent.bench.BenchQemu.start()) {
        r = QmpLatencyBench.run(qemu.socket(), iterations);
      }
    }
    print(r);
    return 0;
  }

  private void print(QmpLatencyBench.Result r) {
    System.out.printf(Locale.ROOT, "query-status round trip, %d per loop (µs)%n", r.ferrySequential().count());
    System.out.printf(Locale.ROOT, "%-22s %10s %10s%n", "", "median", "p99");
    row("ferry sequential", r.ferrySequential());
    row("ferry chained", r.ferryChained());
    row("raw sequential", r.rawSequential());
    row("ferry 8 in flight", r.ferryWindow());
    row("raw 8 in flight", r.rawWindow());
    System.out.printf(
        Locale.ROOT,
        "sequential:   ferry/raw median %.2fx (goal <= 1.10), ferry p99/median %.2fx (goal <= 2.00)%n",
        ratio(r.ferrySequential().medianNanos(), r.rawSequential().medianNanos()),
        ratio(r.ferrySequential().p99Nanos(), r.ferrySequential().medianNanos()));
    System.out.printf(
        Locale.ROOT,
        "chained:      ferry/raw median %.2fx (goal <= 1.10), ferry p99/median %.2fx (goal <= 2.00)%n",
        ratio(r.ferryChained().medianNanos(), r.rawSequential().medianNanos()),
        ratio(r.ferryChained().p99Nanos(), r.ferryChained().medianNanos()));
    System.out.printf(
        Locale.ROOT,
        "8 in flight:  ferry/raw median %.2fx (goal <= 1.10), ferry p99/median %.2fx (goal <= 2.00)%n",
        ratio(r.ferryWindow().medianNanos(), r.rawWindow().medianNanos()),
        ratio(r.ferryWindow().p99Nanos(), r.ferryWindow().medianNanos()));
    System.out.printf(
        Locale.ROOT,
        "raw client's own p99/median (machine noise floor): sequential %.2fx, 8 in flight %.2fx%n",
        ratio(r.rawSequential().p99Nanos(), r.rawSequential().medianNanos()),
        ratio(r.rawWindow().p99Nanos(), r.rawWindow().medianNanos()));
    System.out.printf(
        Locale.ROOT,
        "client CPU per command (all JVM threads, JIT and GC included): ferry sequential %.1f µs,"
            + " ferry chained %.1f µs, raw %.1f µs%n",
        r.cpu().ferrySequentialMicros(),
        r.cpu().ferryChainedMicros(),
        r.cpu().rawSequentialMicros());
    System.out.printf(Locale.ROOT, "load average at the end: %s%n", loadAverage());
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static void row(String name, LatencyStats s) {
    System.out.printf(Locale.ROOT, "%-22s %10.1f %10.1f%n", name, s.medianMicros(), s.p99Micros());
  }

  private static double ratio(long a, long b) {
    return (double) a / b;
  }
}
