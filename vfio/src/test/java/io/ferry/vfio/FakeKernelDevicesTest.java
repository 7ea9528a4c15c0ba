package io.ferry.vfio;

import io.ferry.vfio.fake.FakeKernel;
import io.ferry.vfio.netlink.VfInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The fake kernel a {@link VfioDevices} test runs against, with the devices its scenarios use. */
abstract class FakeKernelDevicesTest {
  static final int ETHERNET = 0x020000;
  static final int PCI_BRIDGE = 0x060400;
  static final int AUDIO = 0x040300;
  static final String PF = "0000:03:00.0";
  static final String VF = "0000:03:10.0";
  static final VfInfo VF_AS_FOUND =
      new VfInfo(0, "00:00:00:00:00:00", 0, 0, Optional.of(true), Optional.of(false), OptionalInt.of(0));

  @TempDir Path tmp;
  FakeKernel kernel;
  Path journalFile;

  @BeforeEach
  void kernel() throws IOException {
    kernel = new FakeKernel(Files.createDirectory(tmp.resolve("root")))
        .netDriver("igb", "8086:10c9")
        .netDriver("igbvf", "8086:10ca")
        .netDriver("e1000e", "8086:10d3")
        .driver("snd_hda_intel", "8086:a170")
        .driver("pcieport", "8086:a110");
    journalFile = tmp.resolve("state/devices.journal");
  }

  @AfterEach
  void stop() {
    kernel.close();
  }

  VfioDevices devices(Duration bindTimeout) {
    return new VfioDevices(kernel, kernel, kernel, kernel, new Journal(journalFile),
        new VfioTimeouts(bindTimeout, Duration.ofSeconds(5), Duration.ofMillis(5)));
  }

  VfioDevices devices() {
    return devices(Duration.ofSeconds(5));
  }

  PciAddress plainVf() {
    kernel.vfioPciLoaded();
    kernel.device(PF, "8086:10c9", ETHERNET, 19, "igb", "enp3s0f0");
    PciAddress vf = kernel.device(VF, "8086:10ca", ETHERNET, 20, "igbvf", "enp3s0f0v0");
    kernel.sriov(PF, VF).vfSettings("enp3s0f0", VF_AS_FOUND);
    return vf;
  }

  PciDevice describe(PciAddress address) throws IOException {
    return new PciDiscovery(kernel).find(address).orElseThrow();
  }
}
