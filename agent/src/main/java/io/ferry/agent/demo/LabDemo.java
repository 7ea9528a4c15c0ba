package io.ferry.agent.demo;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.lab.GuestImage;
import io.ferry.agent.lab.GuestImageBuilder;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.Hotplug;
import io.ferry.agent.lab.LabException;
import io.ferry.agent.lab.LabPair;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.migration.Migrator;
import io.ferry.agent.plan.MigrationPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * ferry's main job on the local lab: start a source with an e1000e on a root port and a paused
 * {@code -incoming defer} destination, let the orchestrator unplug the NIC, migrate, plug it into
 * the still-paused destination and {@code cont} it (the commit point), then check that the guest
 * sees the NIC again and still heartbeats.
 */
public final class LabDemo {
  private LabDemo() {}

  static final String NIC_ID = "hostnet1";
  static final String NIC_MAC = "52:54:00:00:00:11";
  private static final Duration BOOT_DEADLINE = Duration.ofSeconds(120);
  private static final Duration MIGRATE_DEADLINE = Duration.ofSeconds(120);

  /** Runs the demo, reporting each step as it completes; always stops both QEMUs. */
  public static DemoResult run(DemoOptions options, Consumer<DemoStep> onStep) throws IOException {
    Steps steps = new Steps(onStep);
    long t = System.nanoTime();
    GuestImage image = GuestImageBuilder.ensure(options.guest());
    steps.done("guest", "kernel " + image.kernelVersion(), t);

    Path workDir =
        options.workDir().isPresent()
            ? Files.createDirectories(options.workDir().get())
            : Files.createTempDirectory("ferry-demo-");
    String nic = "e1000e,id=" + NIC_ID + ",bus=rp1,mac=" + NIC_MAC + ",romfile=";
    LabVmBuilder machine =
        LabVm.builder("demo", workDir, image)
            .hotplug(options.hotplug())
            .accelerator(options.accelerator())
            .rootPorts(1);
    boolean succeeded = false;
    try {
      t = System.nanoTime();
      try (LabPair pair = LabPair.start(machine, List.of(nic))) {
        steps.done(
            "start",
            "source pid " + pair.source().pid() + ", destination pid " + pair.destination().pid()
                + " (-incoming defer)",
            t);
        DemoResult result = migrate(pair, steps, options, workDir);
        succeeded = true;
        return result;
      }
    } finally {
      // A failed run keeps its console and QEMU logs: they are the only evidence.
      if (succeeded && !options.keepWorkDir()) {
        GuestImageBuilder.deleteRecursively(workDir);
      }
    }
  }

  private static DemoResult migrate(LabPair pair, Steps steps, DemoOptions options, Path workDir)
      throws IOException {
    LabVm source = pair.source();
    LabVm destination = pair.destination();
    Duration unplugDeadline =
        options.hotplug() == Hotplug.NATIVE ? Duration.ofSeconds(30) : Duration.ofSeconds(10);

    long t = System.nanoTime();
    try (HeartbeatMonitor heartbeat =
        HeartbeatMonitor.connect(source.heartbeatSocket(), destination.heartbeatSocket())) {
      String nicInGuest = nicPattern();
      source.awaitConsole(Pattern.compile(nicInGuest), BOOT_DEADLINE).join();
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT_DEADLINE).join();
      steps.done("boot", "guest up and heartbeating, sees " + NIC_MAC + " e1000e", t);
      double heartbeatRate = heartbeat.ratePerSecond(HeartbeatSide.SOURCE);

      // ferry's orchestrator runs the migration on the VMs' agent monitors; each of its phases
      // becomes one demo step.
      MigrationPlan plan =
          MigrationPlan.builder()
              .source(source.agentQmpSocket())
              .destination(destination.agentQmpSocket())
              .uri(pair.migrationUri())
              .device(NIC_ID)
              .unplugTimeout(unplugDeadline)
              .build();
      long migrationStart = System.nanoTime();
      MigrationOutcome outcome;
      try {
        outcome =
            new Migrator(new PhaseSteps(steps)).start(plan).outcome()
                .get(MIGRATE_DEADLINE.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException | ExecutionException | TimeoutException e) {
        throw new LabException("the migration did not end: " + e, e);
      }
      if (outcome.result() != Result.SUCCEEDED) {
        throw new LabException("migration " + outcome.result() + ": " + outcome.reason());
      }

      t = System.nanoTime();
      destination.awaitConsole(Pattern.compile(nicInGuest), Duration.ofSeconds(60)).join();
      long beatsAtResume = heartbeat.count(HeartbeatSide.DESTINATION);
      heartbeat.awaitCount(HeartbeatSide.DESTINATION, beatsAtResume + 100, Duration.ofSeconds(60)).join();
      steps.done("verify", "guest on the destination sees " + NIC_MAC + " e1000e; heartbeat continues", t);

      MigrationFigures figures = outcome.figures();
      return new DemoResult(
          steps.all,
          figures.downtimeMs() == null ? -1 : figures.downtimeMs(),
          figures.totalTimeMs() == null ? -1 : figures.totalTimeMs(),
          Duration.ofNanos(figures.switchoverGapUs() * 1000L),
          heartbeat.largestGapBetween(migrationStart, Long.MAX_VALUE),
          heartbeat.switchoverGap(),
          heartbeatRate,
          true,
          figures,
          workDir);
    }
  }

  /** Turns the orchestrator's phase events into demo steps, each with its duration. */
  private static final class PhaseSteps implements EventSink {
    private final Steps steps;
    private final Map<Phase, Long> startedNs = new EnumMap<>(Phase.class);

    PhaseSteps(Steps steps) {
      this.steps = steps;
    }

    @Override
    public synchronized void accept(MigrationEvent event) {
      if (event.device().isPresent()) {
        return;
      }
      if (event.kind() == EventKind.STARTED) {
        startedNs.put(event.phase(), event.monoNs());
      } else if (event.kind() == EventKind.COMPLETED || event.kind() == EventKind.FAILED) {
        Long started = startedNs.get(event.phase());
        if (started != null) {
          steps.add(
              event.phase().name().toLowerCase(),
              (event.kind() == EventKind.FAILED ? "FAILED " + event.detail().get("reason") + "; " : "")
                  + PHASE_DETAIL.getOrDefault(event.phase(), ""),
              Duration.ofNanos(event.monoNs() - started));
        }
      }
    }
  }

  private static final Map<Phase, String> PHASE_DETAIL =
      Map.of(
          Phase.PREFLIGHT, "states, devices (qom-get), blockers, capabilities and parameters",
          Phase.UNPLUG, "device_del " + NIC_ID + " -> DEVICE_DELETED, query-pci confirms",
          Phase.MIGRATE, "migrate-incoming + migrate -> MIGRATION completed on both sides",
          Phase.REPLUG, "device_add " + NIC_ID + " on the paused destination",
          Phase.COMMIT, "cont on the destination -> RESUME, announce-self",
          Phase.CLEANUP, "source left in postmigrate",
          Phase.ROLLBACK, "VM back on the source");

  /** The console line the guest's NIC watcher prints when it sees the demo NIC bound to e1000e. */
  static String nicPattern() {
    return "FERRY-NICS: .*" + Pattern.quote(NIC_MAC) + " e1000e";
  }

  private static final class Steps {
    final List<DemoStep> all = new ArrayList<>();
    final Consumer<DemoStep> onStep;

    Steps(Consumer<DemoStep> onStep) {
      this.onStep = onStep;
    }

    void done(String name, String detail, long startNanos) {
      add(name, detail, Duration.ofNanos(System.nanoTime() - startNanos));
    }

    synchronized void add(String name, String detail, Duration duration) {
      DemoStep step = new DemoStep(name, detail, duration);
      all.add(step);
      onStep.accept(step);
    }
  }
}
