package io.ferry.vfio;

import io.ferry.vfio.nativeio.NativeFile;
import io.ferry.vfio.netlink.LinkInfo;
import io.ferry.vfio.sysfs.RootedSysFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * ferry's VFIO path on a real kernel, run inside a lab guest that has an emulated IOMMU (see
 * native-tests' RealKernelVfioTest). It prints one {@code CHECK <name> OK|FAIL <detail>} line
 * per check and exits 0 only when all passed. It expects e1000e NICs (8086:10d3): one alone in
 * its IOMMU group, and optionally two sharing a group (behind a PCIe-to-PCI bridge).
 *
 * <p>Usage: {@code InGuestCheck STATE_DIR}
 */
public final class InGuestCheck {
  private static final int E1000E_VENDOR = 0x8086;
  private static final int E1000E_DEVICE = 0x10d3;
  private final List<String> failures = new ArrayList<>();
  private final RootedSysFs sysfs = RootedSysFs.host();
  private final Path stateDir;

  private InGuestCheck(Path stateDir) {
    this.stateDir = stateDir;
  }

  public static void main(String[] args) throws Exception {
    System.exit(runAll(Path.of(args.length > 0 ? args[0] : "/tmp/ferry-inguest")) ? 0 : 1);
  }

  /** Runs every check, printing one line each and then {@code INGUEST-CHECK=OK|FAIL}; true when all passed. */
  public static boolean runAll(Path stateDir) {
    InGuestCheck check = new InGuestCheck(stateDir);
    try {
      check.run();
    } catch (Exception | AssertionError e) {
      check.check("run", false, e.toString());
    }
    System.out.println(check.failures.isEmpty() ? "INGUEST-CHECK=OK" : "INGUEST-CHECK=FAIL " + check.failures);
    System.out.flush();
    return check.failures.isEmpty();
  }

  private void check(String name, boolean ok, String detail) {
    System.out.println("CHECK " + name + " " + (ok ? "OK" : "FAIL") + " " + detail);
    System.out.flush();
    if (!ok) {
      failures.add(name);
    }
  }

  private VfioDevices devices(String journal) {
    return new VfioDevices(sysfs, new ModprobeModuleLoader(), new RtnetlinkVfControl(), new IoctlGroupProbe("/dev/vfio"),
        new Journal(stateDir.resolve(journal)), VfioTimeouts.defaults());
  }

  private void run() throws Exception {
    Files.createDirectories(stateDir);
    VfioDevices devices = devices("devices.journal");
    List<PciDevice> nics = devices.list().stream()
        .filter(d -> d.vendor() == E1000E_VENDOR && d.device() == E1000E_DEVICE).toList();
    Optional<PciDevice> solo = nics.stream().filter(d -> d.iommuGroupMembers().size() == 1).findFirst();
    List<PciDevice> shared = nics.stream().filter(d -> d.iommuGroupMembers().size() > 1).toList();
    check("discover", solo.isPresent() && solo.get().isBoundTo("e1000e") && !solo.get().netInterfaces().isEmpty(),
        nics.stream().map(d -> d.address() + " driver=" + d.driver().orElse("-") + " group=" + d.iommuGroup()
            + " members=" + d.iommuGroupMembers() + " net=" + d.netInterfaces()).toList().toString());
    if (solo.isEmpty()) {
      return;
    }
    PciAddress nic = solo.get().address();
    int group = solo.get().iommuGroup().getAsInt();

    // rtnetlink on a real NIC without SR-IOV: the link answers, with no VF list.
    NetInterface netdev = solo.get().netInterfaces().get(0);
    LinkInfo link = new RtnetlinkVfControl().getLink(netdev.name());
    check("rtnetlink-getlink", link.name().equals(netdev.name()) && link.mac().equals(Optional.of(netdev.mac()))
            && link.vfs().isEmpty() && link.index() > 1,
        link.toString());

    long start = System.nanoTime();
    PreparedDevice prepared = devices.prepare(PrepareRequest.of(nic));
    long prepareMs = (System.nanoTime() - start) / 1_000_000;
    check("prepare", devices.find(nic).orElseThrow().isBoundTo("vfio-pci")
            && Files.exists(Path.of("/dev/vfio/" + group))
            && prepared.groupStatus().map(GroupStatus::viable).orElse(false)
            && prepared.groupStatus().get().apiVersion() == 0 && prepared.groupStatus().get().type1Supported(),
        "driver=" + devices.find(nic).orElseThrow().driver().orElse("-") + " node=" + prepared.vfioDevice().orElse("-")
            + " status=" + prepared.groupStatus().orElse(null) + " ms=" + prepareMs + " steps=" + prepared.steps());

    // A group some process holds open (as a running QEMU would) cannot be handed out again.
    try (NativeFile held = NativeFile.openReadWrite("/dev/vfio/" + group)) {
      try {
        devices("second.journal").prepare(PrepareRequest.of(nic));
        check("refuse-in-use", false, "prepare succeeded while /dev/vfio/" + group + " was held open");
      } catch (DeviceOperationException e) {
        check("refuse-in-use", e.getMessage().contains("EBUSY")
                && devices.find(nic).orElseThrow().isBoundTo("vfio-pci"),
            "outcome=" + e.outcome() + " message=" + e.getMessage());
      }
    }

    start = System.nanoTime();
    ReleasedDevice released = devices.release(nic);
    long releaseMs = (System.nanoTime() - start) / 1_000_000;
    PciDevice after = devices.find(nic).orElseThrow();
    check("release", after.isBoundTo("e1000e") && !after.netInterfaces().isEmpty() && after.driverOverride().isEmpty()
            && !Files.exists(Path.of("/dev/vfio/" + group)),
        "driver=" + after.driver().orElse("-") + " net=" + after.netInterfaces() + " ms=" + releaseMs
            + " steps=" + released.steps());

    if (shared.size() >= 2) {
      sharedGroup(devices, shared.get(0), shared.get(1));
    }
  }

  /** Two NICs in one group, both on e1000e: ferry refuses; bypassing it, the kernel says not VIABLE. */
  private void sharedGroup(VfioDevices devices, PciDevice a, PciDevice b) throws Exception {
    try {
      devices.prepare(PrepareRequest.of(a.address()));
      check("refuse-shared-group", false, "prepare of " + a.address() + " succeeded");
    } catch (DeviceOperationException e) {
      check("refuse-shared-group", e.outcome() == DeviceOperationException.Outcome.REFUSED
              && e.getMessage().contains(b.address().toString()) && devices.find(a.address()).orElseThrow().isBoundTo("e1000e"),
          e.getMessage());
    }
    // Bind a to vfio-pci by hand, as a careless tool would, leaving b on its host driver.
    String dev = a.address().sysfsPath();
    int group = a.iommuGroup().getAsInt();
    sysfs.write(dev + "/driver_override", "vfio-pci");
    sysfs.write("/sys/bus/pci/drivers/e1000e/unbind", a.address().toString());
    sysfs.write("/sys/bus/pci/drivers_probe", a.address().toString());
    boolean node = BoundedWait.until(() -> sysfs.exists("/dev/vfio/" + group), Duration.ofSeconds(10), Duration.ofMillis(20));
    try {
      GroupStatus status = new IoctlGroupProbe("/dev/vfio").probe(group);
      check("ioctl-not-viable", node && !status.viable() && status.apiVersion() == 0,
          "group " + group + " with " + b.address() + " on " + b.driver().orElse("-") + ": " + status);
    } catch (IOException e) {
      check("ioctl-not-viable", false, "probe failed: " + e.getMessage());
    } finally {
      sysfs.write(dev + "/driver_override", "\n");
      sysfs.write("/sys/bus/pci/drivers/vfio-pci/unbind", a.address().toString());
      sysfs.write("/sys/bus/pci/drivers_probe", a.address().toString());
    }
  }
}
