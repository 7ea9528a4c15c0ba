package io.ferry.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.vfio.fake.FakeKernel;
import io.ferry.vfio.sysfs.RootedSysFs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PciDiscoveryTest {
  @TempDir Path root;

  @Test
  void readsEveryFieldOfAVfAndItsPf() throws Exception {
    try (FakeKernel kernel = new FakeKernel(root).netDriver("igb", "8086:10c9").netDriver("igbvf", "8086:10ca")) {
      kernel.device("0000:03:00.0", "8086:10c9", 0x020000, 19, "igb", "enp3s0f0");
      kernel.device("0000:03:10.0", "8086:10ca", 0x020000, 20, "igbvf", "enp3s0f0v0");
      kernel.device("0000:03:10.2", "8086:10ca", 0x020000, 20, null, "enp3s0f0v1");
      kernel.sriov("0000:03:00.0", "0000:03:10.0", "0000:03:10.2");
      PciDiscovery discovery = new PciDiscovery(kernel);

      List<PciDevice> all = discovery.list();
      PciDevice pf = all.get(0);
      PciDevice vf1 = all.get(2);

      assertThat(all).extracting(d -> d.address().toString()).containsExactly("0000:03:00.0", "0000:03:10.0", "0000:03:10.2");
      assertThat(pf.vendor()).isEqualTo(0x8086);
      assertThat(pf.device()).isEqualTo(0x10c9);
      assertThat(pf.pciClass()).isEqualTo(0x020000);
      assertThat(pf.driver()).contains("igb");
      assertThat(pf.driverOverride()).isEmpty();
      assertThat(pf.iommuGroup()).hasValue(19);
      assertThat(pf.numaNode()).hasValue(0);
      assertThat(pf.physfn()).isEmpty();
      assertThat(pf.virtualFunctions()).extracting(PciAddress::toString).containsExactly("0000:03:10.0", "0000:03:10.2");
      assertThat(pf.netInterfaces()).containsExactly(new NetInterface("enp3s0f0", "52:54:00:03:00:00"));
      assertThat(vf1.physfn()).contains(PciAddress.parse("0000:03:00.0"));
      assertThat(vf1.vfIndex()).hasValue(1);
      assertThat(vf1.driver()).isEmpty();
      assertThat(vf1.netInterfaces()).isEmpty();
      assertThat(vf1.iommuGroupMembers()).extracting(PciAddress::toString).containsExactly("0000:03:10.0", "0000:03:10.2");
      assertThat(vf1.isVirtualFunction()).isTrue();
      assertThat(discovery.find(PciAddress.parse("0000:07:00.0"))).isEmpty();
    }
  }

  /** This machine's real /sys, read-only: whatever hardware CI has, every device must parse. */
  @Test
  void listsThisMachinesRealDevicesAndEveryFieldParses() throws Exception {
    RootedSysFs host = RootedSysFs.host();
    PciDiscovery discovery = new PciDiscovery(host);

    List<PciDevice> devices = discovery.list();

    assertThat(devices).isNotEmpty();
    assertThat(devices).extracting(d -> d.address().toString())
        .containsExactlyElementsOf(host.list("/sys/bus/pci/devices"));
    for (PciDevice d : devices) {
      assertThat(d.vendor()).as(d.address() + " vendor").isBetween(1, 0xfffe);
      assertThat(d.pciClass()).as(d.address() + " class").isBetween(0, 0xffffff);
      d.driver().ifPresent(name -> assertThat(host.exists("/sys/bus/pci/drivers/" + name)).isTrue());
      if (d.iommuGroup().isPresent()) {
        assertThat(d.iommuGroupMembers()).contains(d.address());
      }
      for (NetInterface net : d.netInterfaces()) {
        assertThat(host.exists("/sys/class/net/" + net.name())).as(net.name()).isTrue();
        assertThat(net.mac()).matches("([0-9a-f]{2}:)+[0-9a-f]{2}");
      }
      d.physfn().ifPresent(pf -> assertThat(d.vfIndex()).isPresent());
    }
  }
}
