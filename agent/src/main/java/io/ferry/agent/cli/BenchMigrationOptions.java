package io.ferry.agent.cli;

import io.ferry.agent.bench.BenchMode;
import io.ferry.agent.bench.BenchResultWriter;
import io.ferry.agent.bench.BenchSettings;
import io.ferry.agent.bench.AgentMemoryLine;
import io.ferry.agent.bench.FigureSummaries;
import io.ferry.agent.bench.LibvirtBaseline;
import io.ferry.agent.bench.MemorySampler;
import io.ferry.agent.bench.MigrationBench;
import io.ferry.agent.bench.MigrationRunFigures;
import io.ferry.agent.bench.SummaryComparison;
import io.ferry.agent.bench.SummaryTable;
import io.ferry.agent.lab.Accelerator;
import io.ferry.agent.lab.GuestBuildOptions;
import io.ferry.agent.lab.GuestImageBuilder;
import io.ferry.agent.lab.Hotplug;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.plan.CommitPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Option;

/**
 * The options and the run of the migration benchmark, shared by {@code ferry bench migration} and
 * the bare {@code ferry bench} (the form), which mix them in.
 */
public final class BenchMigrationOptions {
  @Option(names = "--runs", defaultValue = "20", description = "Number of migrations (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--warmup", defaultValue = "1", paramLabel = "N",
      description = "Migrations run first and not counted, as a benchmark warms up: the first one in a JVM pays for class loading and cold JIT (default: ${DEFAULT-VALUE}).")
  int warmup;

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

  @Option(names = "--mode", defaultValue = "unplug-replug", paramLabel = "unplug-replug|failover|plain",
      converter = BenchModeConverter.class,
      description = "What crosses: e1000e unplugged/replugged, a virtio-net failover pair, or nothing (the baseline) (default: ${DEFAULT-VALUE}).")
  BenchMode mode;

  @Option(names = "--devices", defaultValue = "1", paramLabel = "K", description = "e1000e count in unplug-replug mode, one per root port (default: ${DEFAULT-VALUE}).")
  int devices;

  @Option(names = "--downtime-limit", paramLabel = "MS", description = "The plan's downtime-limit migration parameter (default: QEMU's).")
  Long downtimeLimitMs;

  @Option(names = "--dirty-rate", defaultValue = "0", paramLabel = "MB/s", description = "MiB/s of memory the guest dirties during the runs (default: ${DEFAULT-VALUE}).")
  int dirtyMbps;

  @Option(names = "--parallel", defaultValue = "1", paramLabel = "P",
      description = "Guests migrated at once per run, each booted once, all by this one agent; every migration is a row (default: ${DEFAULT-VALUE}, at most 16).")
  int parallel;

  @Option(names = "--baseline", paramLabel = "raw|libvirt",
      description = {"raw: after each run, the same sequence by a bare Python QMP script (python3), the floor.",
          "libvirt: after each run, virsh detach-device and attach-device of the same NIC on the same guest as a transient domain of the local libvirtd (qemu:///system); virsh migrate cannot run on one libvirtd (the summary says why). Refused if libvirt is absent or libvirtd unreachable."})
  String baseline;

  @Option(names = "--ferry-cpu",
      description = "Also measure the CPU time ferry's own thread used in its overhead spans (the 'ferry CPU' row): "
          + "the overhead minus it is time ferry was ready to run but had no core. Reading a thread's CPU clock is a "
          + "system call: about 40 per migration, ~60 µs here, added to the overhead measured.")
  boolean ferryCpu;

  @Option(names = "--out", paramLabel = "DIR", description = "Write runs.ndjson (one object per run), summary.json and report.html here.")
  Path outDir;

  @Option(names = "--compare", arity = "2", paramLabel = "SUMMARY.json",
      description = "Print two summary.json files' medians side by side with B/A, and run nothing.")
  List<Path> compare;

  /** Runs the bench (or --compare) with these options; the exit code. */
  int run(PrintWriter out, PrintWriter err) throws IOException {
    if (compare != null) {
      return compare(out, err);
    }
    if ((kernel == null) != (initrd == null)) {
      err.println("ferry bench migration: --kernel and --initrd go together");
      return ExitCodes.INVALID;
    }
    BenchSettings settings;
    try {
      BenchSettings.Baseline chosen;
      if (baseline == null) {
        chosen = BenchSettings.Baseline.NONE;
      } else if (baseline.equals("raw")) {
        chosen = BenchSettings.Baseline.RAW;
      } else if (baseline.equals("libvirt")) {
        chosen = BenchSettings.Baseline.LIBVIRT;
      } else {
        throw new IllegalArgumentException("--baseline: '" + baseline + "' is not a baseline (raw, libvirt)");
      }
      settings = new BenchSettings(runs, commit, mode, devices, downtimeLimitMs, dirtyMbps, chosen, parallel, warmup,
          ferryCpu);
      if (settings.libvirtBaseline()) {
        // Before any QEMU starts: libvirt installed, and libvirtd answering (ferry never starts it).
        Optional<String> why = LibvirtBaseline.unavailable(LibvirtBaseline.searchPath(System.getenv("PATH")));
        if (why.isPresent()) {
          throw new IllegalArgumentException("--baseline libvirt: " + why.get());
        }
      }
    } catch (IllegalArgumentException e) {
      err.println("ferry bench migration: " + e.getMessage());
      return ExitCodes.INVALID;
    }
    if (outDir != null && Files.exists(outDir) && !Files.isDirectory(outDir)) {
      err.println("ferry bench migration: --out " + outDir + " is not a directory");
      return ExitCodes.INVALID;
    }
    GuestBuildOptions guest = GuestBuildOptions.defaults().withProgress(line -> out.println("  (guest) " + line));
    if (kernel != null) {
      guest = guest.withUserImage(kernel, initrd);
    }
    boolean temporary = workDir == null;
    Path dir = temporary ? Files.createTempDirectory("ferry-bench-") : Files.createDirectories(workDir);
    LabVmBuilder machine =
        LabVm.builder("bench", dir, GuestImageBuilder.ensure(guest))
            .hotplug(hotplug)
            .accelerator(accelerator)
            .memoryMiB(memoryMiB);
    List<MigrationRunFigures> all = new ArrayList<>();
    Map<Integer, MemorySampler.RunMemory> memory = new LinkedHashMap<>();
    String header = String.format("ferry bench migration: %d runs%s, mode %s%s, commit %s, %s hotplug, %s, %d MiB guest%s%s%s%s",
        runs, parallel == 1 ? "" : " of " + parallel + " parallel migrations", mode.wireName(), mode == BenchMode.UNPLUG_REPLUG ? " (" + devices + " e1000e)" : "",
        commit.wireName(), hotplug.name().toLowerCase(), accelerator.name().toLowerCase(), memoryMiB,
        downtimeLimitMs == null ? "" : ", downtime-limit " + downtimeLimitMs + " ms",
        dirtyMbps == 0 ? "" : ", dirtying " + dirtyMbps + " MiB/s",
        baseline == null ? "" : ", " + baseline + " baseline",
        warmup == 0 ? "" : ", after " + warmup + " warm-up run" + (warmup == 1 ? "" : "s") + " not counted")
        + (ferryCpu ? ", measuring ferry's CPU" : "");
    out.println(header);
    out.flush();
    BenchResultWriter writer = outDir == null ? null : BenchResultWriter.open(outDir);
    AtomicReference<LibvirtBaseline.Notes> libvirt = new AtomicReference<>(
        settings.libvirtBaseline() ? LibvirtBaseline.notesWithoutDomain() : null);
    try {
      MigrationBench.run(machine, settings, run -> {
        all.addAll(run.migrations());
        memory.put(run.run(), run.memory());
        for (MigrationRunFigures figures : run.migrations()) {
          out.printf("  [%d/%d] run %3d%s  %-9s %s%n", run.run(), runs, run.run(),
              parallel == 1 ? "" : String.format(" slot %2d", figures.slot()), figures.result(),
              describe(figures.millis()));
        }
        out.printf("        agent memory: VmRSS max %.1f MiB, VmHWM %.1f MiB%n",
            run.memory().maxRssMiB(), run.memory().hwmMiB());
        out.flush();
        if (writer != null) {
          try {
            writer.run(run);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }, libvirt::set);
    } catch (Exception e) {
      err.println("ferry bench migration failed: " + e.getMessage());
      return ExitCodes.ERROR;
    } finally {
      if (writer != null) {
        Map<String, Object> extra = new LinkedHashMap<>();
        if (libvirt.get() != null) {
          extra.put("libvirtBaseline", libvirt.get().json());
        }
        writer.summary(settingsJson(settings), all, memory, extra);
        writer.report(header.replace(runs + " runs", memory.size() + " runs"), all, memory,
            libvirt.get() == null ? List.of() : libvirt.get().lines());
        writer.close();
      }
      if (temporary) {
        GuestImageBuilder.deleteRecursively(dir);
      }
    }
    out.println();
    SummaryTable.print(out, FigureSummaries.of(all));
    AgentMemoryLine.print(out, parallel, all, memory);
    if (libvirt.get() != null) {
      out.println();
      libvirt.get().lines().forEach(out::println);
      out.flush();
    }
    if (writer != null) {
      out.printf("%nwrote %s, %s and %s%n", outDir.resolve(BenchResultWriter.RUNS),
          outDir.resolve(BenchResultWriter.SUMMARY), outDir.resolve(BenchResultWriter.REPORT));
      out.flush();
    }
    return ExitCodes.OK;
  }

  private Map<String, Object> settingsJson(BenchSettings settings) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("mode", settings.mode().wireName());
    s.put("devices", settings.mode() == BenchMode.UNPLUG_REPLUG ? settings.devices() : 0);
    s.put("commit", settings.commit().wireName());
    s.put("hotplug", hotplug.name().toLowerCase());
    s.put("accel", accelerator.name().toLowerCase());
    s.put("guestMemMiB", memoryMiB);
    if (settings.downtimeLimitMs() != null) {
      s.put("downtimeLimitMs", settings.downtimeLimitMs());
    }
    s.put("dirtyMbps", settings.dirtyMbps());
    s.put("rawBaseline", settings.rawBaseline());
    s.put("baseline", settings.baseline().wireName());
    s.put("parallel", settings.parallel());
    s.put("warmupRuns", settings.warmup());
    s.put("ferryCpu", settings.ferryCpu());
    return s;
  }

  private int compare(PrintWriter out, PrintWriter err) {
    try {
      Path a = compare.get(0);
      Path b = compare.get(1);
      SummaryComparison.print(out, a, SummaryComparison.medians(a), b, SummaryComparison.medians(b));
      return ExitCodes.OK;
    } catch (IOException e) {
      err.println("ferry bench migration --compare: " + e.getMessage());
      return ExitCodes.INVALID;
    }
  }

  private static String describe(Map<String, Double> millis) {
    StringBuilder text = new StringBuilder();
    millis.forEach((name, value) -> {
      if (!name.startsWith(MigrationRunFigures.PHASE)) {
        text.append(String.format("%s %.1f  ", name, value));
      }
    });
    return text.toString().strip();
  }
}
