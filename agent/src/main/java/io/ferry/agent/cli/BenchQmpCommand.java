package io.ferry.agent.cli;

import io.ferry.agent.bench.LatencyStats;
import io.ferry.agent.bench.QmpLatencyBench;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
        "8 in flight:  ferry/raw median %.2fx (goal <= 1.10), ferry p99/median %.2fx (goal <= 2.00)%n",
        ratio(r.ferryWindow().medianNanos(), r.rawWindow().medianNanos()),
        ratio(r.ferryWindow().p99Nanos(), r.ferryWindow().medianNanos()));
  }

  private static void row(String name, LatencyStats s) {
    System.out.printf(Locale.ROOT, "%-22s %10.1f %10.1f%n", name, s.medianMicros(), s.p99Micros());
  }

  private static double ratio(long a, long b) {
    return (double) a / b;
  }
}
