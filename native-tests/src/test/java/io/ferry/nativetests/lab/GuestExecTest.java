package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lab.LabVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry.exec=}: the guest runs a host script over the 9p-shared host root, on its own
 * kernel, reports the exit code on the console and powers off (what the VFIO tests build on).
 */
@ExtendWith(NoLeftoverQemu.class)
class GuestExecTest {
  @TempDir Path workDir;

  @Test
  void guestRunsAHostScriptInAChrootAndReportsItsExitCode() throws Exception {
    // Not under /tmp: the guest mounts a fresh tmpfs over the host's /tmp.
    Path scripts = io.ferry.nativetests.GuestVisibleDir.fresh("lab-exec");
    Path script = scripts.resolve("guest-exec-test.sh");
    Files.writeString(
        script,
        "echo \"in-guest kernel $(uname -r), tmp writable: $(touch /tmp/x && echo yes)\"\n"
            + "test -e /sys/bus/pci/devices || exit 1\n"
            + "exit 7\n");

    try (LabVm vm =
        LabVm.builder("exec", workDir, LabGuest.image())
            .shareHostRoot(true)
            .kernelArg("ferry.exec=" + script)
            .start()) {
      String said = vm.awaitConsole(Pattern.compile("in-guest kernel"), Duration.ofSeconds(180)).join();
      assertThat(said).contains(LabGuest.image().kernelVersion()).contains("tmp writable: yes");
      assertThat(vm.awaitConsole(Pattern.compile("FERRY-EXEC-EXIT="), Duration.ofSeconds(60)).join())
          .contains("FERRY-EXEC-EXIT=7");
      // The guest powers off by itself afterwards.
      assertThat(vm.onExit().get(60, TimeUnit.SECONDS)).isZero();
    }
  }
}
