package io.ferry.agent.daemon;

import io.ferry.vfio.Journal;
import io.ferry.vfio.VfioDevices;
import io.ferry.vfio.VfioTimeouts;
import io.ferry.vfio.fake.FakeKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A host for daemon tests: the vfio module's fake kernel (a sysfs tree that reacts to writes as
 * the PCI core does) with a NIC on igb (IOMMU group 7) and a device journal, both under {@code dir}.
 */
public final class FakeHost implements AutoCloseable {
  public static final String NIC = "0000:00:01.0";
  private static final int ETHERNET = 0x020000;

  public final FakeKernel kernel;
  public final Path journal;
  public final VfioDevices devices;

  public FakeHost(Path dir) throws IOException {
    kernel = new FakeKernel(Files.createDirectories(dir.resolve("fake-root")))
        .netDriver("igb", "8086:10c9")
        .vfioPciLoaded();
    kernel.device(NIC, "8086:10c9", ETHERNET, 7, "igb", "enp0s1");
    journal = dir.resolve("state/devices.journal");
    devices = new VfioDevices(kernel, kernel, kernel, kernel, new Journal(journal),
        new VfioTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(5)));
  }

  @Override
  public void close() {
    kernel.close();
  }
}
