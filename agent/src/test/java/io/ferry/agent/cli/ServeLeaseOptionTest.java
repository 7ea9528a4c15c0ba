package io.ferry.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry serve --incoming-lease} below a second is refused before anything starts. */
class ServeLeaseOptionTest {
  @TempDir Path dir;

  @Test
  void aLeaseShorterThanASecondIsRefusedAndNothingStarts() {
    Path socket = dir.resolve("run/ferry.sock");
    int exit = FerryMain.commandLine().execute("serve", "--socket", socket.toString(),
        "--journal", dir.resolve("devices.journal").toString(), "--state-dir", dir.resolve("state").toString(),
        "--incoming-lease", "500ms");
    assertThat(exit).isEqualTo(ExitCodes.INVALID);
    assertThat(Files.exists(socket)).as("no socket").isFalse();
    assertThat(Files.exists(dir.resolve("state"))).as("no journal").isFalse();
  }
}
