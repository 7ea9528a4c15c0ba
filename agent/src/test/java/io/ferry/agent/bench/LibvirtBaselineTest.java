package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --baseline libvirt says why it cannot run: which libvirt program is missing from the search path. */
class LibvirtBaselineTest {
  @TempDir Path dir;

  private Path executable(String name) throws IOException {
    Path file = Files.writeString(dir.resolve(name), "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  @Test
  void withNeitherProgramBothAreNamedWithThePackagesAndTheDirectoriesSearched() {
    String reason = LibvirtBaseline.unavailable(List.of(dir)).orElseThrow();
    assertThat(reason).contains("libvirt is not installed here", "no virsh, no libvirtd", dir.toString(),
        "libvirt-daemon-system", "libvirt-clients");
  }

  @Test
  void aClientWithoutTheDaemonNamesTheDaemon() throws IOException {
    executable("virsh");
    Files.writeString(dir.resolve("libvirtd"), "not executable");
    String reason = LibvirtBaseline.unavailable(List.of(dir)).orElseThrow();
    assertThat(reason).contains("no libvirtd").doesNotContain("no virsh");
  }

  @Test
  void withBothProgramsTheReasonIsWhatStopsItOnOneHost() throws IOException {
    executable("virsh");
    executable("libvirtd");
    assertThat(LibvirtBaseline.unavailable(List.of(dir))).contains(LibvirtBaseline.NOT_ON_ONE_HOST);
  }

  @Test
  void theSearchPathIsPathThenTheSbinDirectories() {
    assertThat(LibvirtBaseline.searchPath("/opt/bin::/usr/bin"))
        .containsExactly(Path.of("/opt/bin"), Path.of("/usr/bin"), Path.of("/usr/sbin"), Path.of("/sbin"));
    assertThat(LibvirtBaseline.searchPath(null)).containsExactly(Path.of("/usr/sbin"), Path.of("/sbin"));
  }
}
