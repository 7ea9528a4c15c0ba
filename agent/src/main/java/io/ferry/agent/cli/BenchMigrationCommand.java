package io.ferry.agent.cli;

import io.ferry.agent.bench.MigrationBench;
import io.ferry.agent.bench.MigrationRunFigures;
import io.ferry.agent.bench.Summary;
import io.ferry.agent.lab.Accelerator;
import io.ferry.agent.lab.GuestBuildOptions;
import io.ferry.agent.lab.GuestImageBuilder;
import io.ferry.agent.lab.Hotplug;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.plan.CommitPolicy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry bench migration}: ferry's main job repeated on the local lab, with a summary. */
@Command(
    name = "migration",
    mixinStandardHelpOptions = true,
    description = {
      "Migrates one lab guest back and forth --runs times (a fresh incoming QEMU each run),",
      "unplugging and replugging an e1000e through ferry's orchestrator, and prints each run's",
      "figures and their median, p95 and max: QEMU downtime and total time, switchover gap",
      "(STOP -> RESUME), guest heartbeat gap, NIC absence window, ferry's own overhead."
    })
public final class BenchMigrationCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--runs", defaultValue = "20", description = "Number of migrations (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--commit", defaultValue = "after-replug", paramLabel = "after-replug|before-replug",
      description = "Commit policy (default: ${DEFAULT-VALUE}).", converter = CommitPolicyConverter.class)
  CommitPolicy commit;

  @Option(names = "--hotplug", defaultValue = "acpi", paramLabel = "acpi|native", description = "Root port hotplug mechanism (default: ${DEFAULT-VALUE}).")
  Hotplug hotplug;

  @Option(names = "--accel", defaultValue = "tcg", paramLabel = "tcg|kvm", description = "QEMU accelerator (default: ${DEFAULT-VALUE}).")
  Accelerator accelerator;

  @Option(names = "--guest-mem", defaultValue = "256", paramLabel = "MiB", description = "Guest memory in MiB (default: ${DEFAULT-VALUE}).")
  int memoryMiB;

  @Option(names = "--kernel", paramLabel = "FILE", description = "Boot this kernel instead of building the guest (needs --initrd).")
  Path kernel;

  @Option(names = "--initrd", paramLabel = "FILE", description = "Boot this initramfs instead of building the guest (needs --kernel).")
  Path initrd;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Sockets and logs (default: a new temporary directory, deleted afterwards).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (runs < 1) {
      spec.commandLine().getErr().println("ferry bench migration: --runs must be at least 1");
      return ExitCodes.INVALID;
    }
    if ((kernel == null) != (initrd == null)) {
      spec.commandLine().getErr().println("ferry bench migration: --kernel and --initrd go together");
      return ExitCodes.INVALID;
    }
    GuestBuildOptions guest = GuestBuildOptions.defaults().withProgress(line -> out.println("  (guest) " + line));
    if (kernel != null) {
      guest = guest.withUserImage(kernel, initrd);
    }
    boolean temporary = workDir == null;
    Path dir = temporary ? Files.createTempDirectory("ferry-bench-") : Files.createDirectories(workDir);
    LabVm.Builder machine =
        LabVm.builder("bench", dir, GuestImageBuilder.ensure(guest))
            .hotplug(hotplug)
            .accelerator(accelerator)
            .memoryMiB(memoryMiB);
    List<MigrationRunFigures> all = new ArrayList<>();
    out.printf("ferry bench migration: %d runs, commit %s, %s hotplug, %s, %d MiB guest%n",
        runs, commit.wireName(), hotplug.name().toLowerCase(), accelerator.name().toLowerCase(), memoryMiB);
    out.flush();
    try {
      MigrationBench.run(machine, runs, commit, figures -> {
        all.add(figures);
        out.printf("  run %3d  %-9s %s%n", figures.run(), figures.result(), describe(figures.millis()));
        out.flush();
      });
    } catch (Exception e) {
      spec.commandLine().getErr().println("ferry bench migration failed: " + e.getMessage());
      return ExitCodes.ERROR;
    } finally {
      if (temporary) {
        GuestImageBuilder.deleteRecursively(dir);
      }
    }
    printSummary(out, all);
    return ExitCodes.OK;
  }

  static void printSummary(PrintWriter out, List<MigrationRunFigures> runs) {
    Map<String, List<Double>> byFigure = new LinkedHashMap<>();
    for (MigrationRunFigures run : runs) {
      run.millis().forEach((name, value) -> byFigure.computeIfAbsent(name, n -> new ArrayList<>()).add(value));
    }
    out.println();
    out.printf("| %-16s | %5s | %10s | %10s | %10s |%n", "figure (ms)", "runs", "median", "p95", "max");
    out.printf("|%s|%s|%s|%s|%s|%n", "-".repeat(18), "-".repeat(7), "-".repeat(12), "-".repeat(12), "-".repeat(12));
    for (String name : List.of(
        MigrationRunFigures.DOWNTIME, MigrationRunFigures.TOTAL, MigrationRunFigures.SWITCHOVER,
        MigrationRunFigures.HEARTBEAT, MigrationRunFigures.ABSENCE, MigrationRunFigures.OVERHEAD,
        MigrationRunFigures.WALL)) {
      List<Double> values = byFigure.get(name);
      if (values != null) {
        Summary s = Summary.of(values);
        out.printf("| %-16s | %5d | %10.2f | %10.2f | %10.2f |%n", name, s.count(), s.median(), s.p95(), s.max());
      }
    }
    out.flush();
  }

  private static String describe(Map<String, Double> millis) {
    StringBuilder text = new StringBuilder();
    millis.forEach((name, value) -> text.append(String.format("%s %.1f  ", name, value)));
    return text.toString().strip();
  }
}
