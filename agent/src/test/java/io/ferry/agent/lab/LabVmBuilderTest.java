package io.ferry.agent.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabVmBuilderTest {
  private final GuestImage image = new GuestImage(Path.of("/k"), Path.of("/i"), "test");

  private static String after(List<String> args, String flag) {
    return args.get(args.indexOf(flag) + 1);
  }

  @Test
  void defaultMachineIsQ35TcgWithConsoleHeartbeatQmpAndRootPorts() {
    List<String> args = LabVm.builder("vm", Path.of("/w"), image).rootPorts(2).qemuCommand();
    assertThat(after(args, "-machine")).isEqualTo("q35");
    assertThat(after(args, "-accel")).isEqualTo("tcg");
    assertThat(after(args, "-m")).as("256 MiB + 8 KiB, see TcgMigrationSafeMemory").isEqualTo("262152K");
    assertThat(args).containsSubsequence("-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console");
    assertThat(args).contains("socket,id=heartbeat,path=/w/vm.heartbeat.sock,server=on,wait=off");
    assertThat(args).contains("socket,id=qmp,path=/w/vm.qmp.sock,server=on,wait=off");
    assertThat(args).contains("pcie-root-port,id=rp1,bus=pcie.0,chassis=1", "pcie-root-port,id=rp2,bus=pcie.0,chassis=2");
    assertThat(args).doesNotContain("-S", "-incoming", "-global");
  }

  @Test
  void acceleratorIsASetting() {
    assertThat(after(LabVm.builder("vm", Path.of("/w"), image).accelerator(Accelerator.KVM).qemuCommand(), "-accel"))
        .isEqualTo("kvm");
  }

  @Test
  void tcgRamIsNotAMultipleOf64PagesSoQemu72ResetsTheTlbWhenSyncingDirtyBits() {
    String tcg = after(LabVm.builder("vm", Path.of("/w"), image).memoryMiB(1024).qemuCommand(), "-m");
    long kib = Long.parseLong(tcg.substring(0, tcg.length() - 1));
    assertThat(tcg).endsWith("K");
    assertThat(kib).isGreaterThanOrEqualTo(1024L * 1024);
    assertThat(kib % 256).as("not 64 pages of 4 KiB aligned").isNotZero();
    assertThat(kib % 8).as("QEMU rounds RAM up to 8 KiB; stay on that boundary").isZero();
    String kvm =
        after(LabVm.builder("vm", Path.of("/w"), image).accelerator(Accelerator.KVM).memoryMiB(1024).qemuCommand(), "-m");
    assertThat(kvm).as("KVM tracks dirty pages itself").isEqualTo("1024");
  }

  @Test
  void refusingGuestIsNativeHotplugWithCompatPorts() {
    List<String> args = LabVm.builder("vm", Path.of("/w"), image).refusingUnplug().qemuCommand();
    assertThat(args).containsSubsequence("-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off");
    assertThat(after(args, "-append")).contains("pcie_ports=compat");
  }

  @Test
  void destinationIsPausedAndDeferred() {
    List<String> args = LabVm.builder("vm", Path.of("/w"), image).incoming(true).qemuCommand();
    assertThat(args).containsSubsequence("-S", "-incoming", "defer");
  }

  @Test
  void iommuAndHostRootShareForVfioInsideTheGuest() {
    List<String> args =
        LabVm.builder("vm", Path.of("/w"), image).intelIommu(true).shareHostRoot(true).memoryMiB(1024).smp(2).qemuCommand();
    assertThat(after(args, "-machine")).isEqualTo("q35,kernel-irqchip=split");
    assertThat(args).contains("intel-iommu,intremap=on,caching-mode=on", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot");
    assertThat(after(args, "-append")).contains("intel_iommu=on");
    assertThat(after(args, "-smp")).isEqualTo("2");
  }

  @Test
  void copyKeepsTheMachineForTheDestination() {
    LabVmBuilder source = LabVm.builder("a", Path.of("/w"), image).hotplug(Hotplug.NATIVE).device("e1000e,id=x");
    List<String> copy = source.copy().name("b").incoming(true).qemuCommand();
    assertThat(copy).contains("ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off", "e1000e,id=x", "b");
  }

  @Test
  void badSettingsAreRefusedWithAClearMessage() {
    LabVmBuilder builder = LabVm.builder("vm", Path.of("/w"), image);
    assertThatThrownBy(() -> builder.memoryMiB(16)).hasMessageContaining("at least 64 MiB");
    assertThatThrownBy(() -> builder.kernelArg("a b")).hasMessageContaining("without spaces");
    assertThatThrownBy(() -> builder.device(" ")).hasMessageContaining("blank");
    assertThatThrownBy(() -> builder.rootPorts(33)).hasMessageContaining("0..32");
    assertThatThrownBy(() -> LabVm.builder("../x", Path.of("/w"), image)).hasMessageContaining("VM name");
    assertThat(builder.qemuCommand()).doesNotContain("a b");
  }
}
