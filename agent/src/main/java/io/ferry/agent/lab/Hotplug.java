package io.ferry.agent.lab;

/**
 * How the guest learns of PCI hotplug on the lab's root ports. The mechanism dominates how long
 * an unplug takes, so the lab offers both real-world configurations.
 */
public enum Hotplug {
  /** QEMU 7.2 q35's default for root ports: ACPI hotplug, unplug in about 85 ms. */
  ACPI,
  /**
   * Native PCIe hotplug (pciehp): the guest waits 5 s after the attention button, so an unplug
   * takes about 6.25 s. With the guest kernel option {@code pcie_ports=compat} the guest never
   * completes an unplug at all (see {@link LabVmBuilder#refusingUnplug()}).
   */
  NATIVE;

  /** The QEMU arguments selecting this mechanism (none for the default). */
  public java.util.List<String> qemuArguments() {
    return this == NATIVE
        ? java.util.List.of("-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off")
        : java.util.List.of();
  }
}
