package io.ferry.agent.lab;

import io.ferry.qmp.DeviceDeleted;
import io.ferry.qmp.MigrationEvent;
import io.ferry.qmp.MigrationInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.ResumeEvent;
import io.ferry.qmp.StopEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The lab demo as a straight line: start a source with an e1000e on a root port and a paused
 * {@code -incoming defer} destination; unplug the NIC, migrate, plug it into the still-paused
 * destination, {@code cont} it (the commit point), and check the guest sees the NIC again.
 *
 * <p>A deliberately plain sequence for showing the mechanics and measuring them; ferry's
 * orchestrator owns the real migration with its deadlines and rollbacks.
 */
public final class LabDemo {
  private LabDemo() {}

  static final String NIC_ID = "hostnet1";
  static final String NIC_MAC = "52:54:00:00:00:11";
  /** QEMU 7.2 accepts at most SIZE_MAX/1000 bytes/s; 1 TiB/s is "unlimited" here, as libvirt does. */
  static final long MAX_BANDWIDTH = 1L << 40;
  private static final Duration BOOT_DEADLINE = Duration.ofSeconds(120);
  private static final Duration MIGRATE_DEADLINE = Duration.ofSeconds(120);
  private static final Set<String> MIGRATION_ENDS = Set.of("completed", "failed", "cancelled");

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
    LabVm.Builder machine =
        LabVm.builder("demo", workDir, image)
            .hotplug(options.hotplug())
            .accelerator(options.accelerator())
            .rootPorts(1);
    try {
      t = System.nanoTime();
      try (LabPair pair = LabPair.start(machine, List.of(nic))) {
        steps.done(
            "start",
            "source pid " + pair.source().pid() + ", destination pid " + pair.destination().pid()
                + " (-incoming defer)",
            t);
        return migrate(pair, steps, options, workDir);
      }
    } finally {
      if (!options.keepWorkDir()) {
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
    QmpClient src = source.qmp().join();
    QmpClient dst = destination.qmp().join();
    try (HeartbeatMonitor heartbeat =
        HeartbeatMonitor.connect(source.heartbeatSocket(), destination.heartbeatSocket())) {
      String nicInGuest = nicPattern();
      source.awaitConsole(Pattern.compile(nicInGuest), BOOT_DEADLINE).join();
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT_DEADLINE).join();
      steps.done("boot", "guest up and heartbeating, sees " + NIC_MAC + " e1000e", t);

      t = System.nanoTime();
      src.migrateSetCapabilities(Map.of("events", true)).join();
      dst.migrateSetCapabilities(Map.of("events", true)).join();
      src.migrateSetParameters(Map.of("max-bandwidth", MAX_BANDWIDTH)).join();
      dst.migrateIncoming(pair.migrationUri()).join();
      steps.done("prepare", "events on, max-bandwidth 1 TiB/s, migrate-incoming " + pair.migrationUri(), t);

      t = System.nanoTime();
      int consoleMark = source.consoleLineCount();
      var deleted =
          src.awaitEvent(e -> e instanceof DeviceDeleted d && NIC_ID.equals(d.device()), unplugDeadline);
      src.deviceDel(NIC_ID).join();
      deleted.join();
      steps.done("unplug", "device_del " + NIC_ID + " -> DEVICE_DELETED (" + options.hotplug() + " hotplug)", t);
      source.awaitConsole(Pattern.compile("FERRY-NICS: none"), unplugDeadline, consoleMark).join();

      t = System.nanoTime();
      long migrationStart = t;
      var stopped = src.awaitEvent(e -> e instanceof StopEvent, MIGRATE_DEADLINE);
      var ended =
          src.awaitEvent(
              e -> e instanceof MigrationEvent m && MIGRATION_ENDS.contains(m.status()), MIGRATE_DEADLINE);
      var destinationLoaded =
          dst.awaitEvent(e -> e instanceof MigrationEvent m && "completed".equals(m.status()), MIGRATE_DEADLINE);
      src.migrate(pair.migrationUri()).join();
      QmpEvent end = ended.join();
      if (!"completed".equals(((MigrationEvent) end).status())) {
        MigrationInfo failure = src.queryMigrate().join();
        throw new LabException("migration " + ((MigrationEvent) end).status() + ": " + failure.errorDesc());
      }
      // The destination finishes loading just after the source reports completion.
      destinationLoaded.join();
      steps.done("migrate", "migrate -> MIGRATION completed", t);
      QmpEvent stop = stopped.join();

      t = System.nanoTime();
      awaitStatus(dst, "paused");
      Map<String, Object> device = new LinkedHashMap<>();
      device.put("driver", "e1000e");
      device.put("id", NIC_ID);
      device.put("bus", "rp1");
      device.put("mac", NIC_MAC);
      device.put("romfile", "");
      dst.deviceAdd(device).join();
      steps.done("replug", "device_add " + NIC_ID + " on the paused destination", t);

      t = System.nanoTime();
      var resumed = dst.awaitEvent(e -> e instanceof ResumeEvent, Duration.ofSeconds(10));
      dst.cont().join();
      QmpEvent resume = resumed.join();
      steps.done("commit", "cont on the destination -> RESUME", t);

      t = System.nanoTime();
      destination.awaitConsole(Pattern.compile(nicInGuest), Duration.ofSeconds(60)).join();
      long beatsAtResume = heartbeat.count(HeartbeatSide.DESTINATION);
      heartbeat.awaitCount(HeartbeatSide.DESTINATION, beatsAtResume + 100, Duration.ofSeconds(60)).join();
      steps.done("verify", "guest on the destination sees " + NIC_MAC + " e1000e; heartbeat continues", t);

      MigrationInfo info = src.queryMigrate().join();
      Duration switchover =
          Duration.ofNanos(
              (resume.timestamp().epochMicros() - stop.timestamp().epochMicros()) * 1000L);
      return new DemoResult(
          steps.all,
          info.downtimeMs() == null ? -1 : info.downtimeMs(),
          info.totalTimeMs() == null ? -1 : info.totalTimeMs(),
          switchover,
          heartbeat.largestGapBetween(migrationStart, Long.MAX_VALUE),
          true,
          workDir);
    }
  }

  /** The console line the guest's NIC watcher prints when it sees the demo NIC bound to e1000e. */
  static String nicPattern() {
    return "FERRY-NICS: .*" + Pattern.quote(NIC_MAC) + " e1000e";
  }

  private static void awaitStatus(QmpClient client, String status) {
    String seen = client.queryStatus().join().status();
    if (!status.equals(seen)) {
      throw new LabException("destination is '" + seen + "', expected '" + status + "'");
    }
  }

  private static final class Steps {
    final List<DemoStep> all = new ArrayList<>();
    final Consumer<DemoStep> onStep;

    Steps(Consumer<DemoStep> onStep) {
      this.onStep = onStep;
    }

    void done(String name, String detail, long startNanos) {
      DemoStep step = new DemoStep(name, detail, Duration.ofNanos(System.nanoTime() - startNanos));
      all.add(step);
      onStep.accept(step);
    }
  }
}
