package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabPair;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.qmp.MigrationEvent;
import io.ferry.qmp.QmpClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a migration, before anything runs on the destination, its guest RAM equals the stopped
 * source's, page for page. This is what QEMU 7.2 under TCG gets wrong for RAM sizes that are a
 * multiple of 256 KiB (stale pages, then a guest Oops after {@code cont}; see
 * {@code TcgMigrationSafeMemory} in the lab), so it guards the lab's workaround directly rather than
 * waiting for a crash. It is a check, not a reproducer: without the workaround it caught
 * nothing in 8 runs on a quiet machine (the stale pages need a busier guest and host; a probe with
 * an unplug and a loaded host found them in 5 of 30 migrations).
 */
@ExtendWith(NoLeftoverQemu.class)
class RamCoherenceTest {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final int PAGE = 4096;
  /** The guest's 256 MiB; the lab's extra 8 KiB lie above and are compared too. */
  private static final long COMPARED = 256L * 1024 * 1024 + 8 * 1024;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @RepeatedTest(2)
  void destinationRamEqualsTheStoppedSourcesAfterMigration() throws Exception {
    LabVmBuilder machine = LabVm.builder("ram", workDir, LabGuest.image()).rootPorts(1);
    try (LabPair pair = LabPair.start(machine, List.of());
        HeartbeatMonitor heartbeat = HeartbeatMonitor.connect(pair.source().heartbeatSocket())) {
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 300, DEADLINE).join();
      QmpClient src = pair.source().qmp().join();
      QmpClient dst = pair.destination().qmp().join();
      src.migrateSetCapabilities(Map.of("events", true)).join();
      dst.migrateSetCapabilities(Map.of("events", true)).join();
      src.migrateSetParameters(Map.of("max-bandwidth", 1L << 40)).join();
      dst.migrateIncoming(pair.migrationUri()).join();
      var sourceDone = src.awaitEvent(e -> e instanceof MigrationEvent m && isFinal(m.status()), DEADLINE);
      var destinationDone = dst.awaitEvent(e -> e instanceof MigrationEvent m && isFinal(m.status()), DEADLINE);
      src.migrate(pair.migrationUri()).join();
      assertThat(((MigrationEvent) sourceDone.join()).status()).isEqualTo("completed");
      assertThat(((MigrationEvent) destinationDone.join()).status()).isEqualTo("completed");

      Path sourceRam = workDir.resolve("src.ram");
      Path destinationRam = workDir.resolve("dst.ram");
      src.execute("pmemsave", Map.of("val", 0, "size", COMPARED, "filename", sourceRam.toString())).join();
      dst.execute("pmemsave", Map.of("val", 0, "size", COMPARED, "filename", destinationRam.toString())).join();
      List<String> stale = differingPages(sourceRam, destinationRam);
      Files.delete(sourceRam);
      Files.delete(destinationRam);

      assertThat(stale).as("guest pages that differ between source and destination").isEmpty();
    }
  }

  private static List<String> differingPages(Path a, Path b) throws IOException {
    List<String> differing = new ArrayList<>();
    try (InputStream left = Files.newInputStream(a); InputStream right = Files.newInputStream(b)) {
      for (long offset = 0; offset < COMPARED; offset += PAGE) {
        byte[] l = left.readNBytes(PAGE);
        byte[] r = right.readNBytes(PAGE);
        if (!Arrays.equals(l, r)) {
          differing.add("0x" + Long.toHexString(offset));
        }
      }
    }
    return differing;
  }

  private static boolean isFinal(String status) {
    return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
  }
}
