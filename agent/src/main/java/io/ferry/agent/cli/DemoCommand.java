package io.ferry.agent.cli;

import io.ferry.agent.lab.Accelerator;
import io.ferry.agent.lab.DemoOptions;
import io.ferry.agent.lab.DemoResult;
import io.ferry.agent.lab.DemoStep;
import io.ferry.agent.lab.GuestBuildOptions;
import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.Hotplug;
import io.ferry.agent.lab.LabDemo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry demo}: unplug, migrate, replug and commit on a local QEMU pair, with the figures. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs unplug -> migrate -> replug -> commit on a local QEMU pair with a tiny Linux guest",
      "(built from Debian packages on first use) and an e1000e NIC on a PCIe root port, then",
      "prints each step's duration, QEMU's downtime, the STOP->RESUME switchover gap and the",
      "guest's heartbeat gap."
    })
public final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--kernel", paramLabel = "FILE", description = "Boot this kernel instead of building the guest (needs --initrd).")
  Path kernel;

  @Option(names = "--initrd", paramLabel = "FILE", description = "Boot this initramfs instead of building the guest (needs --kernel).")
  Path initrd;

  @Option(
      names = "--hotplug",
      paramLabel = "acpi|native",
      defaultValue = "acpi",
      description = "PCI hotplug mechanism of the root ports (default: ${DEFAULT-VALUE}; native unplug takes ~6 s).")
  Hotplug hotplug;

  @Option(names = "--accel", paramLabel = "tcg|kvm", defaultValue = "tcg", description = "QEMU accelerator (default: ${DEFAULT-VALUE}).")
  Accelerator accelerator;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where sockets and logs go (default: a new temporary directory).")
  Path workDir;

  @Option(names = "--keep", description = "Keep the work directory (console and QEMU logs) afterwards.")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    GuestBuildOptions guest =
        GuestBuildOptions.defaults().withProgress(line -> out.println("  (guest) " + line));
    if (kernel != null || initrd != null) {
      if (kernel == null || initrd == null) {
        spec.commandLine().getErr().println("ferry demo: --kernel and --initrd go together: give both or neither");
        return 2;
      }
      guest = guest.withUserImage(kernel, initrd);
    }
    DemoOptions options =
        new DemoOptions(guest, hotplug, accelerator, Optional.ofNullable(workDir), keep);
    out.printf("ferry demo: unplug -> migrate -> replug -> commit on a local QEMU pair (%s, %s hotplug)%n",
        accelerator.name().toLowerCase(), hotplug.name().toLowerCase());
    out.flush();
    DemoResult result;
    try {
      result = LabDemo.run(options, step -> printStep(out, step));
    } catch (CompletionException | io.ferry.agent.lab.LabException | io.ferry.agent.lab.GuestBuildException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      spec.commandLine().getErr().println("ferry demo failed: " + cause.getMessage());
      return 1;
    }
    out.println("results");
    out.printf("  %-34s %8d ms%n", "QEMU-reported downtime", result.qemuDowntimeMs());
    out.printf("  %-34s %8d ms%n", "QEMU-reported total migration time", result.qemuTotalTimeMs());
    out.printf("  %-34s %8.1f ms%n", "switchover gap (STOP -> RESUME)", millis(result.switchoverGap()));
    if (result.heartbeatGap().isPresent()) {
      HeartbeatGap gap = result.heartbeatGap().get();
      out.printf("  %-34s %8.1f ms  (seq %d on %s -> seq %d on %s)%n", "guest heartbeat gap",
          millis(gap.length()), gap.before().sequence(), side(gap.before()), gap.after().sequence(), side(gap.after()));
    } else {
      out.printf("  %-34s %s%n", "guest heartbeat gap", "no heartbeat seen");
    }
    if (keep) {
      out.println("logs kept in " + result.workDir());
    }
    out.flush();
    return 0;
  }

  private static void printStep(PrintWriter out, DemoStep step) {
    out.printf("  %-8s %9.1f ms  %s%n", step.name(), millis(step.duration()), step.detail());
    out.flush();
  }

  private static String side(io.ferry.agent.lab.Heartbeat beat) {
    return beat.side().name().toLowerCase();
  }

  private static double millis(java.time.Duration duration) {
    return duration.toNanos() / 1e6;
  }
}
