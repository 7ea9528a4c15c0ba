package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --baseline libvirt says why it cannot run: which libvirt program is missing from the search
 * path, or that libvirtd does not answer {@code virsh -c qemu:///system uri} (with virsh's words);
 * and runs when both are there.
 */
class LibvirtBaselineTest {
  @TempDir Path dir;

  private Path executable(String name) throws IOException {
    Path file = Files.writeString(dir.resolve(name), "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /** A virsh that must not be asked anything. */
  private static Virsh.Runner never(Path virsh) {
    return (arguments, timeout) -> {
      throw new AssertionError("virsh ran: " + arguments);
    };
  }

  @Test
  void withNeitherProgramBothAreNamedWithThePackagesAndTheDirectoriesSearched() {
    String reason = LibvirtBaseline.unavailable(List.of(dir), LibvirtBaselineTest::never).orElseThrow();
    assertThat(reason).contains("libvirt is not installed here", "no virsh, no libvirtd", dir.toString(),
        "libvirt-daemon-system", "libvirt-clients");
  }

  @Test
  void aClientWithoutTheDaemonNamesTheDaemon() throws IOException {
    executable("virsh");
    Files.writeString(dir.resolve("libvirtd"), "not executable");
    String reason = LibvirtBaseline.unavailable(List.of(dir), LibvirtBaselineTest::never).orElseThrow();
    assertThat(reason).contains("no libvirtd").doesNotContain("no virsh");
  }

  @Test
  void aDaemonThatDoesNotAnswerIsRefusedWithVirshsOwnMessageAndHowToStartIt() throws IOException {
    Path virsh = executable("virsh");
    executable("libvirtd");
    List<Object> asked = new ArrayList<>();
    String reason = LibvirtBaseline.unavailable(List.of(dir), program -> {
      asked.add(program);
      return (arguments, timeout) -> {
        asked.add(arguments);
        return new Virsh.Result(1, "", "error: failed to connect to the hypervisor\n"
            + "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n");
      };
    }).orElseThrow();
    assertThat(asked).containsExactly(virsh.toAbsolutePath(), List.of("uri"));
    assertThat(reason).isEqualTo("libvirt is installed here, but libvirtd is not reachable: "
        + "`virsh -c qemu:///system uri` failed (exit 1): error: failed to connect to the hypervisor; "
        + "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory; "
        + "start it as root with `virtlogd -d; libvirtd -d` (ferry does not start libvirtd)");
  }

  @Test
  void aVirshThatHangsIsRefusedToo() throws IOException {
    executable("virsh");
    executable("libvirtd");
    String reason = LibvirtBaseline.unavailable(List.of(dir),
        program -> (arguments, timeout) -> new Virsh.Result(-1, "", "virsh uri did not end within 30 s")).orElseThrow();
    assertThat(reason).contains("libvirtd is not reachable", "failed: virsh uri did not end within 30 s")
        .doesNotContain("exit -1");
  }

  @Test
  void withBothProgramsAndAnAnsweringDaemonItRuns() throws IOException {
    executable("virsh");
    executable("libvirtd");
    assertThat(LibvirtBaseline.unavailable(List.of(dir),
        program -> (arguments, timeout) -> new Virsh.Result(0, "qemu:///system\n", ""))).isEmpty();
  }

  @Test
  void theRealVirshIsRunWithAnArgumentListAgainstTheSystemUri() throws Exception {
    // A stand-in virsh that prints its arguments one per line: no shell sits between.
    Path virsh = Files.writeString(dir.resolve("virsh"), "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\necho oops >&2\nexit 3\n");
    Files.setPosixFilePermissions(virsh, PosixFilePermissions.fromString("rwxr-xr-x"));
    Virsh.Result r = Virsh.runner(virsh, LibvirtBaseline.URI)
        .run(List.of("desc", "dom; rm -rf /", "$(x)"), java.time.Duration.ofSeconds(10));
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.stdout()).isEqualTo("[-q]\n[-c]\n[qemu:///system]\n[desc]\n[dom; rm -rf /]\n[$(x)]\n");
    assertThat(r.message()).isEqualTo("oops");
  }

  @Test
  void theMigrateStepIsRecordedAsNotRunWithItsReason() {
    LibvirtBaseline.Notes notes = new LibvirtBaseline.Notes(LibvirtBaseline.URI, "libvirt 9.0.0", "ferry-bench-1-a",
        LibvirtBaseline.RAN, LibvirtBaseline.MIGRATE_NOT_RUN, "error: internal error: Attempt to migrate guest to the same host x");
    assertThat(notes.lines()).anySatisfy(l -> assertThat(l).contains("not run: virsh migrate --live: one libvirtd refuses"))
        .anySatisfy(l -> assertThat(l).contains("ran:     virsh detach-device --live"))
        .anySatisfy(l -> assertThat(l).contains("libvirt said: error: internal error: Attempt to migrate guest to the same host"));
    assertThat(notes.json()).containsKeys("uri", "ran", "notRun");
    assertThat(LibvirtBaseline.notesWithoutDomain().lines())
        .anySatisfy(l -> assertThat(l).contains("Attempt to migrate guest to the same host"));
  }

  @Test
  void theVersionsAreTheDaemonsAndTheHypervisors() {
    assertThat(LibvirtBaseline.versions("Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\n"
        + "Using API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\nRunning against daemon: 9.0.0\n"))
        .isEqualTo("libvirtd 9.0.0, QEMU 7.2.22");
    assertThat(LibvirtBaseline.versions("something\nelse\n")).isEqualTo("something; else");
  }

  @Test
  void theSearchPathIsPathThenTheSbinDirectories() {
    assertThat(LibvirtBaseline.searchPath("/opt/bin::/usr/bin"))
        .containsExactly(Path.of("/opt/bin"), Path.of("/usr/bin"), Path.of("/usr/sbin"), Path.of("/sbin"));
    assertThat(LibvirtBaseline.searchPath(null)).containsExactly(Path.of("/usr/sbin"), Path.of("/sbin"));
  }
}
