package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.migration.Migration;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, test 9: cancel in UNPLUG, in MIGRATE and in REPLUG. Each cancel is issued from the
 * event stream at the moment the phase starts, so it lands in that phase on every run. Before the
 * commit every cancel ends ROLLED_BACK: the VM running on the source with its device.
 */
@ExtendWith(NoLeftoverQemu.class)
class CancelTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void cancelDuringUnplugRollsBack() {
    // Native hotplug: the guest takes ~6 s to release the NIC, so the cancel lands mid-unplug.
    cancelIn(Phase.UNPLUG, b -> b.hotplug(io.ferry.agent.lab.Hotplug.NATIVE), 2_000_000_000L);
  }

  @Test
  void cancelDuringMigrateRollsBack() {
    cancelIn(Phase.MIGRATE, b -> b, 2_000_000L);
  }

  @Test
  void cancelDuringReplugFailsBackToTheSource() {
    cancelIn(Phase.REPLUG, b -> b, 2_000_000_000L);
  }

  private void cancelIn(
      Phase phase, java.util.function.UnaryOperator<io.ferry.agent.lab.LabVmBuilder> machine, long bandwidth) {
    try (MigrationLab lab =
        MigrationLab.start(workDir, "cancel-" + phase.name().toLowerCase(), machine, List.of(MigrationLab.nic(1)))) {
      Migration migration =
          lab.startAndActOn(
              lab.plan()
                  .device("hostnet1")
                  .unplugTimeout(Duration.ofSeconds(30))
                  .parameter("max-bandwidth", bandwidth)
                  .build(),
              MigrationLab.phaseStarted(phase),
              Migration::cancel);
      MigrationOutcome outcome = MigrationLab.run(migration);

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.ROLLED_BACK);
      assertThat(outcome.reason()).contains("cancelled");
      assertThat(lab.events)
          .as("the phase in which the cancel landed failed")
          .anyMatch(e -> e.phase() == phase && e.kind() == io.ferry.agent.event.EventKind.FAILED);
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
      if (phase == Phase.UNPLUG) {
        // The guest may still finish the unplug QEMU cannot withdraw; ferry then has plugged it
        // back, or says it is pending: either way it is accounted for.
        assertThat(lab.pciIds(lab.source()).contains("hostnet1") || outcome.state().containsKey("unplugStillPending"))
            .isTrue();
      } else {
        assertThat(lab.pciIds(lab.source())).contains("hostnet1");
        assertThat(lab.pair.destination().onExit()).succeedsWithin(Duration.ofSeconds(30));
      }
      long beats = lab.heartbeat.count(HeartbeatSide.SOURCE);
      lab.heartbeat.awaitCount(HeartbeatSide.SOURCE, beats + 100, MigrationLab.BOOT).join();
      assertThat(lab.heartbeat.count(HeartbeatSide.DESTINATION)).as("the guest never ran on the destination").isZero();
    }
  }
}
