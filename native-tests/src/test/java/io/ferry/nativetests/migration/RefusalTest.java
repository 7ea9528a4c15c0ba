package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, tests 3 and 4: a guest that never completes the unplug (native PCIe hotplug with the
 * guest booted {@code pcie_ports=compat}, so no pciehp answers the attention button).
 */
@ExtendWith(NoLeftoverQemu.class)
class RefusalTest {
  private static final Duration UNPLUG_DEADLINE = Duration.ofSeconds(3);

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path workDir;

  @Test
  void aGuestThatNeverReleasesTheDeviceIsRolledBackBeforeMigrating() {
    try (MigrationLab lab =
        MigrationLab.start(workDir, "stuck", b -> b.refusingUnplug(), List.of(MigrationLab.nic(1)))) {
      MigrationOutcome outcome =
          lab.migrate(lab.plan().device("hostnet1").unplugTimeout(UNPLUG_DEADLINE).build());

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.ROLLED_BACK);
      assertThat(outcome.reason()).contains("hostnet1").contains("did not release");
      assertThat(lab.events).noneMatch(e -> e.phase() == Phase.MIGRATE);
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
      assertThat(lab.pciIds(lab.source())).contains("hostnet1");
      assertThat(lab.destination().queryStatus().join().status())
          .as("the destination was never given the stream")
          .isEqualTo("inmigrate");
      assertThat(outcome.state()).containsEntry("unplugStillPending", List.of("hostnet1"));
      long beats = lab.heartbeat.count(HeartbeatSide.SOURCE);
      lab.heartbeat.awaitCount(HeartbeatSide.SOURCE, beats + 100, MigrationLab.BOOT).join();
    }
  }

  /**
   * hostnet1 is cold-plugged (its slot powered on at boot: the guest must release it, and never
   * does); hostnet2 is hot-plugged into a slot no guest driver powered on, which QEMU unplugs at
   * once. The one that did go must come back.
   */
  @Test
  void withOneDeviceStuckTheOneThatWentIsPluggedBack() {
    try (MigrationLab lab =
        MigrationLab.start(workDir, "stuck2", b -> b.refusingUnplug(), List.of(MigrationLab.nic(1)))) {
      Map<String, Object> second =
          Map.of("driver", "e1000e", "id", "hostnet2", "bus", "rp2", "mac", MigrationLab.mac(2), "romfile", "");
      lab.source().deviceAdd(second).join();
      assertThat(lab.pciIds(lab.source())).contains("hostnet1", "hostnet2");

      MigrationOutcome outcome =
          lab.migrate(
              lab.plan().device("hostnet1").device("hostnet2").unplugTimeout(UNPLUG_DEADLINE).build());

      assertThat(outcome.result()).as(lab.eventLog()).isEqualTo(Result.ROLLED_BACK);
      assertThat(lab.events)
          .as("hostnet2 did unplug")
          .anyMatch(e -> e.qemu().map(q -> q.event().equals("DEVICE_DELETED")).orElse(false)
              && e.device().equals(java.util.Optional.of("hostnet2")));
      assertThat(lab.pciIds(lab.source())).contains("hostnet1", "hostnet2");
      assertThat(outcome.state()).containsEntry("unplugStillPending", List.of("hostnet1"));
      assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
    }
  }
}
