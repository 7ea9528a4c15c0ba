package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabPair;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.qmp.MigrationEvent;
import io.ferry.qmp.MigrationInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.ResumeEvent;
import io.ferry.qmp.StopEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A local migration between two real QEMUs, watched from outside through the guest heartbeat. */
@ExtendWith(NoLeftoverQemu.class)
class LocalMigrationTest {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  /** The heartbeat ticks every 1 ms and QEMU reports whole milliseconds. */
  private static final Duration TICK_SLACK = Duration.ofMillis(2);

  @TempDir Path workDir;

  @Test
  void migrationCompletesAndTheHeartbeatContinuesOnTheDestination() throws Exception {
    LabVmBuilder machine = LabVm.builder("mig", workDir, LabGuest.image()).rootPorts(1);
    try (LabPair pair = LabPair.start(machine, List.of());
        HeartbeatMonitor heartbeat =
            HeartbeatMonitor.connect(pair.source().heartbeatSocket(), pair.destination().heartbeatSocket())) {
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 200, DEADLINE).join();
      QmpClient src = pair.source().qmp().join();
      QmpClient dst = pair.destination().qmp().join();
      assertThat(dst.queryStatus().join().status()).isEqualTo("inmigrate");

      src.migrateSetCapabilities(Map.of("events", true)).join();
      dst.migrateSetCapabilities(Map.of("events", true)).join();
      src.migrateSetParameters(Map.of("max-bandwidth", 1L << 40)).join();
      dst.migrateIncoming(pair.migrationUri()).join();

      long migrationStart = System.nanoTime();
      var stop = src.awaitEvent(e -> e instanceof StopEvent, DEADLINE);
      var sourceDone = src.awaitEvent(e -> e instanceof MigrationEvent m && isFinal(m.status()), DEADLINE);
      var destinationDone = dst.awaitEvent(e -> e instanceof MigrationEvent m && isFinal(m.status()), DEADLINE);
      src.migrate(pair.migrationUri()).join();
      assertThat(((MigrationEvent) sourceDone.join()).status()).isEqualTo("completed");
      assertThat(((MigrationEvent) destinationDone.join()).status()).isEqualTo("completed");
      assertThat(src.queryStatus().join().status()).isEqualTo("postmigrate");
      assertThat(dst.queryStatus().join().status()).as("-S keeps the destination paused").isEqualTo("paused");
      long destinationBeatsWhilePaused = heartbeat.count(HeartbeatSide.DESTINATION);

      var resume = dst.awaitEvent(e -> e instanceof ResumeEvent, DEADLINE);
      dst.cont().join();
      QmpEvent resumed = resume.join();
      try {
        heartbeat.awaitCount(HeartbeatSide.DESTINATION, 200, DEADLINE).join();
      } catch (RuntimeException e) {
        // Keep the evidence: the temporary work directory goes away with the test.
        List<String> console = pair.destination().consoleLines();
        throw new AssertionError(
            "the guest did not heartbeat on the destination after cont; its console ends with: "
                + console.subList(Math.max(0, console.size() - 40), console.size()),
            e);
      }

      assertThat(destinationBeatsWhilePaused).as("no heartbeat before cont").isZero();
      MigrationInfo info = src.queryMigrate().join();
      Duration downtime = Duration.ofMillis(info.downtimeMs());
      Duration switchover =
          Duration.ofNanos((resumed.timestamp().epochMicros() - stop.join().timestamp().epochMicros()) * 1000);
      HeartbeatGap gap = heartbeat.switchoverGap().orElseThrow();
      assertThat(heartbeat.largestGapBetween(migrationStart, Long.MAX_VALUE).orElseThrow().length())
          .as("the longest silence of the migration is at least the switchover's").isGreaterThanOrEqualTo(gap.length());

      assertThat(gap.before().side()).as("the silence starts on the source: " + gap).isEqualTo(HeartbeatSide.SOURCE);
      assertThat(gap.after().side()).as("and ends on the destination: " + gap).isEqualTo(HeartbeatSide.DESTINATION);
      assertThat(gap.sequenceContinuous()).as("the guest's sequence goes on across hosts: " + gap).isTrue();
      assertThat(heartbeat.malformed()).isZero();
      // The guest cannot beat while QEMU has it stopped: its silence covers QEMU's downtime and
      // the whole STOP -> RESUME window (with the commit after migration, that window is longer).
      assertThat(gap.length().plus(TICK_SLACK)).as("heartbeat gap vs QEMU downtime " + downtime)
          .isGreaterThanOrEqualTo(downtime);
      assertThat(gap.length().plus(TICK_SLACK)).as("heartbeat gap vs STOP->RESUME " + switchover)
          .isGreaterThanOrEqualTo(switchover);
      assertThat(switchover).as("STOP->RESUME includes QEMU's downtime").isGreaterThanOrEqualTo(downtime.minus(TICK_SLACK));
    }
  }

  private static boolean isFinal(String status) {
    return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
  }
}
