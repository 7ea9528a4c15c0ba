package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.migration.Migration;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.migration.MigrationRefusedException;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, test 11 on real QEMU (the plan's own validation is unit-tested in agent): plans that
 * preflight refuses leave both VMs exactly as they were; a second migration of the same source is
 * refused while the first runs; a plan for a device that does not block migration is warned about.
 */
@ExtendWith(NoLeftoverQemu.class)
class PreflightTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void refusalsTouchNothingAndASecondMigrationOfTheSameSourceIsRefused() {
    try (MigrationLab lab = MigrationLab.start(workDir, "pre", b -> b, List.of(MigrationLab.nic(1)))) {
      MigrationOutcome unknownDevice = lab.migrate(lab.plan().device("nosuchdev").build());
      assertThat(unknownDevice.result()).isEqualTo(Result.ROLLED_BACK);
      assertThat(unknownDevice.reason()).contains("nosuchdev");
      assertThat(unknownDevice.state()).containsEntry("changed", false);

      MigrationOutcome swapped =
          lab.migrate(
              lab.plan()
                  .source(lab.pair.destination().agentQmpSocket())
                  .destination(lab.pair.source().agentQmpSocket())
                  .device("hostnet1")
                  .build());
      assertThat(swapped.result()).isEqualTo(Result.ROLLED_BACK);
      assertThat(swapped.reason()).contains("source VM is not running").contains("not waiting for an incoming migration");

      assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
      assertThat(lab.destination().queryStatus().join().status()).isEqualTo("inmigrate");
      assertThat(lab.pciIds(lab.source())).contains("hostnet1");

      // The e1000e does not block migration on its own: QEMU reports no blocker, ferry warns.
      Migration first =
          lab.startAndActOn(
              lab.plan().device("hostnet1").build(),
              MigrationLab.phaseStarted(Phase.UNPLUG),
              running ->
                  assertThatThrownBy(() -> lab.migrator.start(lab.plan().device("hostnet1").build()))
                      .isInstanceOf(MigrationRefusedException.class)
                      .hasMessageContaining("already being migrated"));
      MigrationOutcome outcome = MigrationLab.run(first);
      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.SUCCEEDED);
      assertThat(lab.events)
          .anyMatch(
              e -> e.kind() == EventKind.WARNING
                  && e.phase() == Phase.PREFLIGHT
                  && String.valueOf(e.detail().get("message")).contains("not needed"));
    }
  }
}
