package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.lab.GuestImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A JVM killed with SIGKILL runs no shutdown hook; its lab QEMU must die anyway (pdeathsig). */
@ExtendWith(NoLeftoverQemu.class)
class OrphanCleanupTest {
  @TempDir Path workDir;

  @Test
  void qemuDiesWhenTheJvmThatStartedItIsKilled() throws Exception {
    GuestImage image = LabGuest.image();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(
                java.toString(), "-cp", System.getProperty("java.class.path"),
                OrphanLauncherMain.class.getName(),
                image.kernel().toString(), image.initrd().toString(), workDir.toString())
            .redirectErrorStream(true)
            .start();
    long qemuPid;
    try {
      qemuPid = readQemuPid(child).get(60, TimeUnit.SECONDS);
      assertThat(isRunning(qemuPid)).as("the child's QEMU runs").isTrue();
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook runs in the child
      child.waitFor();
    }
    // The kernel delivers the parent-death signal asynchronously and offers no event to wait on
    // for a process that is not our child: a bounded wait on its /proc state.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> !isRunning(qemuPid));
  }

  private static CompletableFuture<Long> readQemuPid(Process child) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            StringBuilder seen = new StringBuilder();
            String line;
            while ((line = reader.readLine()) != null) {
              if (line.startsWith("QEMU-PID ")) {
                return Long.parseLong(line.substring("QEMU-PID ".length()).strip());
              }
              seen.append(line).append('\n');
            }
            throw new IllegalStateException("child JVM ended without starting QEMU:\n" + seen);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** Alive and not a zombie (a dead orphan waits for PID 1 to reap it, which can take a while). */
  private static boolean isRunning(long pid) throws IOException {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (NoSuchFileException e) {
      return false;
    }
  }
}
