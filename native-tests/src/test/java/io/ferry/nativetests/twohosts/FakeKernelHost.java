package io.ferry.nativetests.twohosts;

import io.ferry.vfio.Journal;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.VfioDevices;
import io.ferry.vfio.VfioTimeouts;
import io.ferry.vfio.fake.FakeKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The host side of VFIO for tests whose subject is the daemon against real QEMUs: the vfio
 * module's fake kernel (a sysfs tree that reacts to writes as the PCI core does; the real-kernel
 * path is tested in {@code RealKernelVfioTest}) with a NIC on igb (IOMMU group 7) and a device
 * journal, both under {@code dir}.
 */
final class FakeKernelHost implements AutoCloseable {
  static final String NIC = "0000:00:01.0";
  private static final int ETHERNET = 0x020000;

  final FakeKernel kernel;
  final VfioDevices devices;

  FakeKernelHost(Path dir) throws IOException {
    kernel = new FakeKernel(Files.createDirectories(dir.resolve("fake-root")))
        .netDriver("igb", "8086:10c9")
        .vfioPciLoaded();
    kernel.device(NIC, "8086:10c9", ETHERNET, 7, "igb", "enp0s1");
    devices = new VfioDevices(kernel, kernel, kernel, kernel, new Journal(dir.resolve("state/devices.journal")),
        new VfioTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(5)));
  }

  /** The NIC's driver now: {@code igb} (the host's), {@code vfio-pci} (bound for a guest) or {@code none}. */
  String driver() throws Exception {
    return devices.find(PciAddress.parse(NIC)).orElseThrow().driver().orElse("none");
  }

  @Override
  public void close() {
    kernel.close();
  }
}
