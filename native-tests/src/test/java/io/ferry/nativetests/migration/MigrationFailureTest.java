package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.EventKind;
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
import org.junit.jupiter.api.io.TempDir;

/** Issue 4, tests 7 and 8: the migration stream itself fails, or cannot finish in time. */
@ExtendWith(NoLeftoverQemu.class)
class MigrationFailureTest {
  /** 2 MB/s: the guest's ~80 MiB take ~40 s, long enough to act on a running migration. */
  private static final long SLOW_BANDWIDTH = 2_000_000;

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path workDir;

  @Test
  void destinationKilledDuringMigrateRollsBackToTheSource() {
    try (MigrationLab lab = MigrationLab.start(workDir, "kill", b -> b, List.of(MigrationLab.nic(1)))) {
      Migration migration =
          lab.startAndActOn(
              lab.plan().device("hostnet1").parameter("max-bandwidth", SLOW_BANDWIDTH).build(),
              e -> e.phase() == Phase.MIGRATE && e.kind() == EventKind.PROGRESS,
              running -> ProcessHandle.of(lab.pair.destination().pid()).ifPresent(ProcessHandle::destroyForcibly));
      MigrationOutcome outcome = MigrationLab.run(migration);

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.ROLLED_BACK);
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
      assertThat(lab.pciIds(lab.source())).contains("hostnet1");
      long beats = lab.heartbeat.count(HeartbeatSide.SOURCE);
      lab.heartbeat.awaitCount(HeartbeatSide.SOURCE, beats + 100, MigrationLab.BOOT).join();
    }
  }

  @Test
  void aMigrationThatCannotFinishInTimeIsCancelledAndRolledBack() {
    try (MigrationLab lab = MigrationLab.start(workDir, "slow", b -> b, List.of(MigrationLab.nic(1)))) {
      MigrationOutcome outcome =
          lab.migrate(
              lab.plan()
                  .device("hostnet1")
                  .parameter("max-bandwidth", SLOW_BANDWIDTH)
                  .migrationTimeout(Duration.ofSeconds(3))
                  .build());

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.ROLLED_BACK);
      assertThat(outcome.reason()).contains("did not complete within");
      assertThat(outcome.state()).containsEntry("sourceMigration", "cancelled");
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
      assertThat(lab.pciIds(lab.source())).contains("hostnet1");
      assertThat(lab.pair.destination().onExit()).succeedsWithin(Duration.ofSeconds(30));
    }
  }
}
