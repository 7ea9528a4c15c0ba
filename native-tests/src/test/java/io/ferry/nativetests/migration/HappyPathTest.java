package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.Result;
import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.plan.CommitPolicy;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Issue 4, tests 1 and 2: one e1000e, ACPI hotplug, both commit policies, on real QEMU. */
@ExtendWith(NoLeftoverQemu.class)
class HappyPathTest {
  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path workDir;

  @Test
  void commitAfterReplugSucceedsWithTheNicBackOnTheDestination() {
    migrateOnce(CommitPolicy.AFTER_REPLUG);
  }

  @Test
  void commitBeforeReplugSucceedsWithTheNicBackOnTheDestination() {
    migrateOnce(CommitPolicy.BEFORE_REPLUG);
  }

  private void migrateOnce(CommitPolicy commit) {
    try (MigrationLab lab = MigrationLab.start(workDir, "happy", b -> b, List.of(MigrationLab.nic(1)))) {
      int destinationConsole = lab.pair.destination().consoleLineCount();
      MigrationOutcome outcome = lab.migrate(lab.plan().device("hostnet1").commit(commit).build());

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.SUCCEEDED);
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("postmigrate");
      assertThat(lab.destination().queryStatus().join().running()).isTrue();
      assertThat(lab.pciIds(lab.destination())).contains("hostnet1");
      lab.awaitGuestNic(lab.pair.destination(), MigrationLab.mac(1), destinationConsole);

      var figures = outcome.figures();
      assertThat(figures.downtimeMs()).isNotNull();
      assertThat(figures.switchoverGapUs()).isNotNull();
      assertThat(figures.deviceAbsenceUs()).containsKey("hostnet1");
      // The guest's silence across hosts: its last beat on the source to its first on the destination.
      HeartbeatGap gap = lab.heartbeat.switchoverGap().orElseThrow();
      assertThat(gap.sequenceContinuous()).as("no beat lost: " + gap).isTrue();
      Duration downtime = Duration.ofMillis(figures.downtimeMs());
      Duration switchover = Duration.ofNanos(figures.switchoverGapUs() * 1000);
      Duration margin = Duration.ofMillis(2);
      // QEMU's downtime lies inside STOP -> RESUME, which the guest spends silent.
      assertThat(downtime).isLessThanOrEqualTo(switchover.plus(margin));
      assertThat(switchover).isLessThanOrEqualTo(gap.length().plus(margin));
      assertThat(figures.deviceAbsenceUs().get("hostnet1")).isGreaterThanOrEqualTo(0L);
      assertThat(figures.ferryOverheadUs()).isNotNull();
    }
  }
}
