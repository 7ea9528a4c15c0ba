package io.ferry.agent.bench;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Result;
import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.migration.Migrator;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.MigrationPlanBuilder;
import io.ferry.agent.plan.Mode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Repeats ferry's main job on the local lab: one guest, migrated back and forth between a fresh
 * incoming QEMU each time (the guest boots once). What crosses depends on the {@link BenchMode}:
 * K e1000e unplugged and replugged, a failover pair, or nothing. Each run's figures come from the
 * orchestrator's result and the guest's heartbeat.
 */
public final class MigrationBench {
  static final String NIC = "hostnet1";
  static final String FAILOVER_PRIMARY = "hostdev0";
  private static final String FAILOVER_MAC = "52:54:00:00:00:42";
  private static final Duration BOOT = Duration.ofSeconds(180);
  private static final Duration RUN = Duration.ofSeconds(180);

  private MigrationBench() {}

  /** The device ids unplugged and replugged (or, in failover, the primary) for these settings. */
  public static List<String> deviceIds(BenchSettings settings) {
    return switch (settings.mode()) {
      case PLAIN -> List.of();
      case FAILOVER -> List.of(FAILOVER_PRIMARY);
      case UNPLUG_REPLUG -> {
        List<String> ids = new ArrayList<>();
        for (int k = 1; k <= settings.devices(); k++) {
          ids.add("hostnet" + k);
        }
        yield ids;
      }
    };
  }

  /** The -device text of the unplugged NICs (none outside unplug-replug). */
  static List<String> deviceSpecs(BenchSettings settings) {
    List<String> specs = new ArrayList<>();
    if (settings.mode() == BenchMode.UNPLUG_REPLUG) {
      for (int k = 1; k <= settings.devices(); k++) {
        specs.add("e1000e,id=hostnet" + k + ",bus=rp" + k + ",mac=" + mac(k) + ",romfile=");
      }
    }
    return specs;
  }

  private static String mac(int k) {
    return String.format("52:54:00:00:00:%02x", 0x10 + k);
  }

  /**
   * @param machine the lab machine (guest, hotplug, accelerator); the devices are added here
   * @param settings runs, mode, devices and migration tuning
   * @param onRun called after each run with its figures
   */
  public static void run(LabVm.Builder machine, BenchSettings settings, Consumer<MigrationRunFigures> onRun)
      throws IOException {
    LabVm.Builder base = machine.copy();
    if (settings.dirtyMbps() > 0) {
      base.kernelArg("ferry.dirty_mbps=" + settings.dirtyMbps());
    }
    LabVm.Builder first;
    List<Pattern> ready = new ArrayList<>();
    ready.add(Pattern.compile("FERRY-READY"));
    switch (settings.mode()) {
      case PLAIN -> first = base.copy();
      case FAILOVER -> {
        // Both sides carry the pair: QEMU hides the primary until the guest negotiates failover.
        base.rootPorts(2)
            .device("virtio-net-pci,id=standby0,bus=rp1,mac=" + FAILOVER_MAC + ",failover=on,romfile=")
            .device("e1000e,id=" + FAILOVER_PRIMARY + ",bus=rp2,mac=" + FAILOVER_MAC
                + ",failover_pair_id=standby0,romfile=");
        first = base.copy();
      }
      case UNPLUG_REPLUG -> {
        base.rootPorts(settings.devices());
        first = base.copy();
        deviceSpecs(settings).forEach(first::device);
        for (int k = 1; k <= settings.devices(); k++) {
          ready.add(Pattern.compile("FERRY-NICS: .*" + mac(k)));
        }
      }
      default -> throw new IllegalStateException(settings.mode().toString());
    }
    LabVm current = first.name("bench-0").incoming(false).start();
    Path rawScript = settings.rawBaseline() ? RawBaseline.install(current.workDir()) : null;
    try {
      for (Pattern line : ready) {
        current.awaitConsole(line, BOOT).join();
      }
      Migrator migrator = new Migrator(event -> {});
      for (int run = 1; run <= settings.runs(); run++) {
        LabVm next = base.copy().name("bench-" + run).incoming(true).start();
        MigrationRunFigures pending;
        MigrationPlan lastPlan;
        try (HeartbeatMonitor heartbeat =
            HeartbeatMonitor.connect(current.heartbeatSocket(), next.heartbeatSocket())) {
          heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT).join();
          MigrationPlanBuilder plan =
              MigrationPlan.builder()
                  .source(current.agentQmpSocket())
                  .destination(next.agentQmpSocket())
                  .uri("unix:" + current.workDir().resolve("bench-" + run + ".mig.sock"))
                  .commit(settings.commit());
          deviceIds(settings).forEach(plan::device);
          if (settings.mode() == BenchMode.FAILOVER) {
            plan.mode(Mode.FAILOVER);
          }
          if (settings.downtimeLimitMs() != null) {
            plan.parameter("downtime-limit", settings.downtimeLimitMs());
          }
          lastPlan = plan.build();
          long start = System.nanoTime();
          MigrationOutcome outcome =
              migrator.start(lastPlan).outcome().get(RUN.toSeconds(), TimeUnit.SECONDS);
          long wallNs = System.nanoTime() - start;
          if (outcome.result() == Result.SUCCEEDED) {
            heartbeat.awaitCount(HeartbeatSide.DESTINATION, 100, BOOT).join();
          }
          pending = figures(run, outcome, wallNs, heartbeat.switchoverGap().orElse(null));
          if (outcome.result() != Result.SUCCEEDED) {
            onRun.accept(pending);
            next.close();
            throw new IOException("run " + run + " ended " + outcome.result() + ": " + outcome.reason());
          }
        } catch (IOException e) {
          next.close();
          throw e;
        } catch (Exception e) {
          next.close();
          throw new IOException("run " + run + " failed: " + e, e);
        }
        current.close();
        current = next;
        if (rawScript != null) {
          // The floor, right after ferry's run on the same guest, which moves on once more.
          LabVm rawNext = base.copy().name("bench-" + run + "-raw").incoming(true).start();
          try {
            Map<String, Double> millis = new LinkedHashMap<>(pending.millis());
            millis.putAll(raw(current, rawNext, rawScript, settings, run, lastPlan));
            pending = new MigrationRunFigures(run, pending.result(), millis, pending.figures());
          } catch (IOException | RuntimeException | InterruptedException e) {
            rawNext.close();
            throw new IOException("run " + run + ", raw baseline: " + e.getMessage(), e);
          }
          current.close();
          current = rawNext;
        }
        onRun.accept(pending);
      }
    } finally {
      current.close();
    }
  }

  private static Map<String, Double> raw(
      LabVm source, LabVm destination, Path script, BenchSettings settings, int run, MigrationPlan plan)
      throws IOException, InterruptedException {
    try (HeartbeatMonitor heartbeat =
        HeartbeatMonitor.connect(source.heartbeatSocket(), destination.heartbeatSocket())) {
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT).join();
      Map<String, Double> raw = RawBaseline.migrate(script, source.agentQmpSocket(),
          destination.agentQmpSocket(), "unix:" + source.workDir().resolve("raw-" + run + ".mig.sock"),
          plan.migration().parameters(), deviceSpecs(settings));
      heartbeat.awaitCount(HeartbeatSide.DESTINATION, 100, BOOT).join();
      return raw;
    }
  }

  static MigrationRunFigures figures(int run, MigrationOutcome outcome, long wallNs, HeartbeatGap gap) {
    Map<String, Double> millis = new LinkedHashMap<>();
    MigrationFigures f = outcome.figures();
    if (f != null) {
      putMs(millis, MigrationRunFigures.DOWNTIME, f.downtimeMs());
      putMs(millis, MigrationRunFigures.TOTAL, f.totalTimeMs());
      putMs(millis, MigrationRunFigures.SETUP, f.setupTimeMs());
      putUs(millis, MigrationRunFigures.SWITCHOVER, f.switchoverGapUs());
      // With several devices the guest's loss is the longest absence among them.
      putUs(millis, MigrationRunFigures.ABSENCE,
          f.deviceAbsenceUs().values().stream().max(Long::compare).orElse(null));
      putUs(millis, MigrationRunFigures.OVERHEAD, f.ferryOverheadUs());
    }
    if (gap != null) {
      millis.put(MigrationRunFigures.HEARTBEAT, gap.length().toNanos() / 1e6);
    }
    millis.put(MigrationRunFigures.WALL, wallNs / 1e6);
    if (f != null) {
      f.phaseDurationsUs().forEach((phase, us) -> millis.put(MigrationRunFigures.PHASE + phase, us / 1000.0));
    }
    return new MigrationRunFigures(run, outcome.result(), millis, f);
  }

  private static void putMs(Map<String, Double> into, String name, Long ms) {
    if (ms != null) {
      into.put(name, ms.doubleValue());
    }
  }

  private static void putUs(Map<String, Double> into, String name, Long us) {
    if (us != null) {
      into.put(name, us / 1000.0);
    }
  }
}
