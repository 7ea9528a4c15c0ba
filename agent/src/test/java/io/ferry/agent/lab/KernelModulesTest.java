package io.ferry.agent.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelModulesTest {
  @TempDir Path modules;

  private void module(String relativePath, String depends) throws Exception {
    Path file = modules.resolve("kernel").resolve(relativePath);
    Files.createDirectories(file.getParent());
    // Like a real .ko: ELF bytes, then NUL-separated modinfo strings.
    String modinfo = "\0license=GPL\0depends=" + depends + "\0name=x\0";
    Files.write(file, ("\177ELF junk" + modinfo).getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void ordersDependenciesFirstAndSkipsBuiltinOnes() throws Exception {
    module("drivers/net/virtio_net.ko", "net_failover,virtio_ring");
    module("drivers/net/net_failover.ko", "failover");
    module("net/core/failover.ko", "");
    module("drivers/virtio/virtio_ring.ko", "");
    module("drivers/vfio/pci/vfio-pci.ko", "vfio-pci-core,ptp");
    module("drivers/vfio/pci/vfio-pci-core.ko", "virtio_ring");
    Files.writeString(modules.resolve("modules.builtin"), "kernel/drivers/ptp/ptp.ko\n");

    var order = KernelModules.index(modules).loadOrder(List.of("virtio_net", "vfio_pci"));

    assertThat(order.keySet())
        .containsExactly("failover", "net_failover", "virtio_ring", "virtio_net", "vfio_pci_core", "vfio_pci");
    assertThat(order.get("vfio_pci").getFileName().toString()).isEqualTo("vfio-pci.ko");
  }

  @Test
  void aModuleThatIsNeitherAFileNorBuiltinIsAClearError() throws Exception {
    module("drivers/net/e1000e.ko", "ptp");
    assertThatThrownBy(() -> KernelModules.index(modules).loadOrder(List.of("e1000e")))
        .isInstanceOf(GuestBuildException.class)
        .hasMessageContaining("no module ptp")
        .hasMessageContaining("needed by [e1000e]");
  }

  @Test
  void aDependencyCycleIsReportedNotLoopedOn() throws Exception {
    module("a.ko", "b");
    module("b.ko", "a");
    assertThatThrownBy(() -> KernelModules.index(modules).loadOrder(List.of("a")))
        .isInstanceOf(GuestBuildException.class)
        .hasMessageContaining("cycle");
  }

  @Test
  void dependsIsReadOnlyFromTheModinfoKeyNotFromOtherStrings() throws Exception {
    Path file = modules.resolve("m.ko");
    Files.write(file, "xdepends=wrong\0depends=right1,right2\0".getBytes(StandardCharsets.US_ASCII));
    assertThat(KernelModules.dependsOf(file)).containsExactly("right1", "right2");
  }
}
