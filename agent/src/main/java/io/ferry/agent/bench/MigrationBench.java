package io.ferry.agent.bench;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Result;
import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.migration.Migrator;
import io.ferry.agent.plan.CommitPolicy;
import io.ferry.agent.plan.MigrationPlan;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Repeats ferry's main job on the local lab: one guest, migrated back and forth between a fresh
 * incoming QEMU each time (the guest boots once), with an e1000e unplugged and replugged on every
 * run. Each run's figures come from the orchestrator's result and the guest's heartbeat.
 */
public final class MigrationBench {
  static final String NIC = "hostnet1";
  private static final Duration BOOT = Duration.ofSeconds(180);
  private static final Duration RUN = Duration.ofSeconds(180);

  private MigrationBench() {}

  /**
   * @param machine the lab machine (guest, hotplug, accelerator); the e1000e is added here
   * @param runs how many migrations
   * @param commit the commit policy of every run
   * @param onRun called after each run with its figures
   */
  public static void run(
      LabVm.Builder machine, int runs, CommitPolicy commit, Consumer<MigrationRunFigures> onRun)
      throws IOException {
    String nic = "e1000e,id=" + NIC + ",bus=rp1,mac=52:54:00:00:00:11,romfile=";
    LabVm.Builder base = machine.copy().rootPorts(1);
    LabVm current = base.copy().name("bench-0").incoming(false).device(nic).start();
    try {
      current.awaitConsole(Pattern.compile("FERRY-NICS: .*52:54:00:00:00:11"), BOOT).join();
      Migrator migrator = new Migrator(event -> {});
      for (int run = 1; run <= runs; run++) {
        LabVm next = base.copy().name("bench-" + run).incoming(true).start();
        try (HeartbeatMonitor heartbeat =
            HeartbeatMonitor.connect(current.heartbeatSocket(), next.heartbeatSocket())) {
          heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT).join();
          MigrationPlan plan =
              MigrationPlan.builder()
                  .source(current.agentQmpSocket())
                  .destination(next.agentQmpSocket())
                  .uri("unix:" + current.workDir().resolve("bench-" + run + ".mig.sock"))
                  .device(NIC)
                  .commit(commit)
                  .build();
          long start = System.nanoTime();
          MigrationOutcome outcome = migrator.start(plan).outcome().get(RUN.toSeconds(), TimeUnit.SECONDS);
          long wallNs = System.nanoTime() - start;
          if (outcome.result() == Result.SUCCEEDED) {
            heartbeat.awaitCount(HeartbeatSide.DESTINATION, 100, BOOT).join();
          }
          onRun.accept(figures(run, outcome, wallNs, heartbeat.switchoverGap().orElse(null)));
          if (outcome.result() != Result.SUCCEEDED) {
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
      }
    } finally {
      current.close();
    }
  }

  static MigrationRunFigures figures(int run, MigrationOutcome outcome, long wallNs, HeartbeatGap gap) {
    Map<String, Double> millis = new LinkedHashMap<>();
    MigrationFigures f = outcome.figures();
    if (f != null) {
      putMs(millis, MigrationRunFigures.DOWNTIME, f.downtimeMs());
      putMs(millis, MigrationRunFigures.TOTAL, f.totalTimeMs());
      putUs(millis, MigrationRunFigures.SWITCHOVER, f.switchoverGapUs());
      putUs(millis, MigrationRunFigures.ABSENCE, f.deviceAbsenceUs().get(NIC));
      putUs(millis, MigrationRunFigures.OVERHEAD, f.ferryOverheadUs());
    }
    if (gap != null) {
      millis.put(MigrationRunFigures.HEARTBEAT, gap.length().toNanos() / 1e6);
    }
    millis.put(MigrationRunFigures.WALL, wallNs / 1e6);
    return new MigrationRunFigures(run, outcome.result(), millis);
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
