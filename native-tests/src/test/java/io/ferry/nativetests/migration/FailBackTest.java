package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.Result;
import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.plan.DevicePlan;
import io.ferry.agent.plan.DevicePolicy;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, tests 5 and 6: a device that cannot be plugged on the destination (its bus does not
 * exist there). Mandatory: the VM fails back to the source, which it never left for good.
 * Optional: the VM commits on the destination without it.
 */
@ExtendWith(NoLeftoverQemu.class)
class FailBackTest {
  private static final Map<String, Object> NOWHERE =
      Map.of("driver", "e1000e", "bus", "no-such-port", "mac", MigrationLab.mac(1), "romfile", "");

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path workDir;

  @Test
  void aMandatoryDeviceThatCannotBePluggedFailsBackToTheSource() {
    try (MigrationLab lab = MigrationLab.start(workDir, "failback", b -> b, List.of(MigrationLab.nic(1)))) {
      long start = System.nanoTime();
      int sourceConsole = lab.pair.source().consoleLineCount();
      MigrationOutcome outcome =
          lab.migrate(
              lab.plan()
                  .device(new DevicePlan("hostnet1", DevicePolicy.MANDATORY, Optional.of(NOWHERE)))
                  .build());

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.ROLLED_BACK);
      assertThat(outcome.reason()).contains("mandatory device hostnet1");
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
      assertThat(lab.pciIds(lab.source())).contains("hostnet1");
      assertThat(lab.pair.destination().onExit())
          .as("the destination, which never ran the guest, was quit")
          .succeedsWithin(Duration.ofSeconds(30));
      lab.awaitGuestNic(lab.pair.source(), MigrationLab.mac(1), sourceConsole);

      long beats = lab.heartbeat.count(HeartbeatSide.SOURCE);
      lab.heartbeat.awaitCount(HeartbeatSide.SOURCE, beats + 100, MigrationLab.BOOT).join();
      HeartbeatGap gap = lab.heartbeat.largestGapBetween(start, Long.MAX_VALUE).orElseThrow();
      assertThat(gap.before().side()).isEqualTo(HeartbeatSide.SOURCE);
      assertThat(gap.after().side()).as("the guest never ran on the destination").isEqualTo(HeartbeatSide.SOURCE);
      assertThat(lab.heartbeat.count(HeartbeatSide.DESTINATION)).isZero();
      assertThat(gap.sequenceContinuous()).isTrue();
    }
  }

  @Test
  void anOptionalDeviceThatCannotBePluggedLeavesTheVmDegradedOnTheDestination() {
    try (MigrationLab lab = MigrationLab.start(workDir, "degraded", b -> b, List.of(MigrationLab.nic(1)))) {
      MigrationOutcome outcome =
          lab.migrate(
              lab.plan()
                  .device(new DevicePlan("hostnet1", DevicePolicy.OPTIONAL, Optional.of(NOWHERE)))
                  .build());

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.DEGRADED);
      assertThat(outcome.reason()).contains("hostnet1");
      assertThat(lab.destination().queryStatus().join().running()).isTrue();
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("postmigrate");
      assertThat(lab.pciIds(lab.destination())).doesNotContain("hostnet1");
      long beats = lab.heartbeat.count(HeartbeatSide.DESTINATION);
      lab.heartbeat.awaitCount(HeartbeatSide.DESTINATION, beats + 100, MigrationLab.BOOT).join();
    }
  }
}
