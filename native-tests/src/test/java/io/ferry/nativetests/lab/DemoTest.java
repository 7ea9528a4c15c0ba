package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lab.Accelerator;
import io.ferry.agent.lab.DemoOptions;
import io.ferry.agent.lab.DemoResult;
import io.ferry.agent.lab.DemoStep;
import io.ferry.agent.lab.GuestBuildOptions;
import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.Hotplug;
import io.ferry.agent.lab.LabDemo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry demo}'s sequence, end to end on a real QEMU pair. */
@ExtendWith(NoLeftoverQemu.class)
class DemoTest {
  @TempDir Path tempDir;

  @Test
  void demoUnplugsMigratesReplugsCommitsAndReportsTheThreeFigures() throws Exception {
    LabGuest.image();
    Path workDir = tempDir.resolve("demo");
    List<DemoStep> printed = new ArrayList<>();
    DemoResult result =
        LabDemo.run(
            new DemoOptions(GuestBuildOptions.defaults(), Hotplug.ACPI, Accelerator.TCG, Optional.of(workDir), false),
            printed::add);

    assertThat(printed).extracting(DemoStep::name)
        .containsExactly("guest", "start", "boot", "prepare", "unplug", "migrate", "replug", "commit", "verify");
    assertThat(result.steps()).isEqualTo(printed);
    assertThat(result.nicBackInGuest()).isTrue();
    assertThat(result.qemuDowntimeMs()).isNotNegative();
    assertThat(result.qemuTotalTimeMs()).isGreaterThanOrEqualTo(result.qemuDowntimeMs());
    HeartbeatGap gap = result.heartbeatGap().orElseThrow();
    assertThat(gap.before().side()).isEqualTo(HeartbeatSide.SOURCE);
    assertThat(gap.after().side()).isEqualTo(HeartbeatSide.DESTINATION);
    assertThat(gap.sequenceContinuous()).isTrue();
    // The guest is stopped from STOP until RESUME, replug included: its silence covers both.
    assertThat(gap.length().plusMillis(2)).isGreaterThanOrEqualTo(result.switchoverGap());
    assertThat(result.switchoverGap().plusMillis(2)).isGreaterThanOrEqualTo(Duration.ofMillis(result.qemuDowntimeMs()));
    assertThat(workDir).as("the work directory is removed unless kept").doesNotExist();
  }
}
