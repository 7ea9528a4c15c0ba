package io.ferry.nativetests.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.lab.GuestImage;
import io.ferry.agent.lab.LabVm;
import io.ferry.nativetests.GuestVisibleDir;
import io.ferry.nativetests.Prerequisites;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import io.ferry.qmp.QmpClient;
import io.ferry.vfio.VfioDevices;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * ferry's vfio module on a real kernel: a lab guest with an emulated Intel IOMMU, three e1000e
 * NICs (one alone on a root port, two sharing an IOMMU group behind a PCIe-to-PCI bridge), and
 * the host's root shared read-only so the guest runs ferry's own classes with the host's java.
 * Inside, {@code InGuestCheck} discovers, prepares (real vfio-pci bind, /dev/vfio/N, VIABLE
 * through the real ioctl), is refused a group held open, releases (e1000e and its netdev back),
 * is refused the shared group, and sees the kernel report that group not VIABLE;
 * {@code NestedAssignmentMain} then hands the NIC to a nested {@code qemu-system-x86_64 -S} with
 * {@code device_add vfio-pci,host=...} through ferry's QMP client (a real VFIO assignment), checks
 * that ferry refuses to release or re-prepare it while that QEMU holds it, and releases it after
 * QEMU quits; {@code IncomingOnRealKernel} then drives the daemon's peer side ({@code /v1/incoming}:
 * prepare and abort; prepare, load a real stream from a nested source, plug vfio-pci, commit). Both run in one JVM inside the guest (a JVM start costs tens of seconds under TCG).
 */
@ExtendWith(NoLeftoverQemu.class)
class RealKernelVfioTest {
  private static final Duration WHOLE_RUN = Duration.ofMinutes(12);
  private static final List<String> CHECKS = List.of(
      "discover", "rtnetlink-getlink", "prepare", "refuse-in-use", "release", "refuse-shared-group",
      "ioctl-not-viable", "nested-prepare", "nested-device-add", "nested-release-refused-in-use", "nested-refuse-in-use",
      "nested-release", "incoming-prepare", "incoming-abort", "incoming-load", "incoming-plug", "incoming-commit",
      "incoming-release");

  @Test
  void prepareRefuseAndReleaseOnARealKernelWithAnEmulatedIommu() throws Exception {
    Prerequisites.require(Files.isDirectory(Path.of("/sys/bus/pci")), "a host kernel with PCI");
    GuestImage image = LabGuest.image();
    // The guest mounts a tmpfs over the host's /tmp, so nothing it reads may live there: the
    // classpath, the script and the work dir are staged under the user's cache directory, which
    // holds wherever the checkout is (CI may clone under /tmp).
    Path dir = stagingDir();
    Path script = dir.resolve("check.sh");
    String classpath = guestClasspath(dir.resolve("classpath"));
    Files.writeString(script, String.join("\n",
        "#!/bin/sh",
        "# Written by RealKernelVfioTest; runs inside the lab guest, chrooted into the host's root.",
        "java -XX:ErrorFile=/tmp/hs_err.log -Djna.tmpdir=/tmp -Djava.io.tmpdir=/tmp -cp " + classpath
            + " io.ferry.nativetests.vfio.NestedAssignmentMain /tmp/ferry-nested",
        "rc=$?",
        "# A JVM crash report lives on the guest's tmpfs; the console is the only way out of it.",
        "[ -f /tmp/hs_err.log ] && head -n 80 /tmp/hs_err.log",
        "exit $rc",
        ""));
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

    LabVm vm = LabVm.builder("vfio", dir, image)
        .memoryMiB(1024)
        // One vCPU: a CI run with two saw the guest's JVM die with SIGSEGV at the first instruction
        // of freshly JIT-compiled code. The JIT writes code on one thread and runs it on another,
        // which under multi-threaded TCG means code modified across vCPUs; one vCPU rules that out
        // at the price of ~35 s more.
        .smp(1)
        .intelIommu(true)
        .shareHostRoot(true)
        .rootPorts(2)
        .device("e1000e,id=nic0,bus=rp1,mac=52:54:00:00:05:11,romfile=")
        .device("pcie-pci-bridge,id=br1,bus=rp2")
        .device("e1000e,id=nic1,bus=br1,addr=1,mac=52:54:00:00:05:12,romfile=")
        .device("e1000e,id=nic2,bus=br1,addr=2,mac=52:54:00:00:05:13,romfile=")
        .kernelArg("ferry.exec=" + script)
        .start();
    try {
      vm.awaitConsole(Pattern.compile("FERRY-EXEC-EXIT=\\d+"), WHOLE_RUN).join();
      vm.onExit().get(2, TimeUnit.MINUTES);
    } finally {
      vm.close();
    }
    List<String> console = vm.consoleLines();
    String transcript = String.join("\n", console);
    for (String check : CHECKS) {
      assertThat(console).as("check %s in:%n%s", check, transcript)
          .anyMatch(line -> line.startsWith("CHECK " + check + " OK"));
    }
    assertThat(console).as(transcript).noneMatch(line -> line.startsWith("CHECK ") && line.contains(" FAIL "));
    assertThat(console).as(transcript).contains("INGUEST-CHECK=OK", "NESTED-CHECK=OK", "FERRY-EXEC-EXIT=0");
  }

  private static Path stagingDir() throws IOException {
    return GuestVisibleDir.fresh("real-kernel-vfio");
  }

  /**
   * The test's own classpath (vfio, qmp, agent and their jars), copied under {@code into} so that the
   * guest reaches it through the 9p share of the host's root at the same paths.
   */
  private static String guestClasspath(Path into) throws IOException {
    String surefire = System.getProperty("surefire.test.class.path");
    String classpath = surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    List<Path> entries = Arrays.stream(classpath.split(File.pathSeparator))
        .filter(e -> !e.isBlank() && Files.exists(Path.of(e)))
        .map(Path::of)
        .collect(Collectors.toList());
    assertThat(entries).as("vfio, qmp, agent and this test's classes on the classpath")
        .contains(location(VfioDevices.class), location(QmpClient.class), location(DaemonCore.class),
            location(NestedAssignmentMain.class));
    List<String> staged = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Path entry = entries.get(i);
      Path target = into.resolve(i + "-" + entry.getFileName());
      copyRecursively(entry, target);
      staged.add(target.toString());
    }
    return String.join(":", staged);
  }

  private static void copyRecursively(Path from, Path to) throws IOException {
    try (Stream<Path> tree = Files.walk(from)) {
      for (Path source : (Iterable<Path>) tree::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static Path location(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
