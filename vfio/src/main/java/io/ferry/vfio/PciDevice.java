package io.ferry.vfio;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One PCI device as sysfs shows it at the moment it was read.
 *
 * @param vendor PCI vendor id, e.g. 0x8086
 * @param device PCI device id
 * @param pciClass 24-bit class code (base class, subclass, programming interface)
 * @param driver the bound driver's name, empty when no driver is bound
 * @param driverOverride the {@code driver_override} value, empty when unset ("(null)")
 * @param iommuGroup the IOMMU group number, empty when the device has none (no IOMMU)
 * @param iommuGroupMembers every device of that group, this one included
 * @param numaNode the NUMA node, empty when the kernel reports none (-1)
 * @param physfn the physical function when this device is an SR-IOV virtual function
 * @param vfIndex this VF's index on its PF ({@code virtfnN} of the PF points here)
 * @param virtualFunctions this PF's VFs, in index order
 * @param netInterfaces network interfaces the device's driver created
 */
public record PciDevice(
    PciAddress address,
    int vendor,
    int device,
    int pciClass,
    Optional<String> driver,
    Optional<String> driverOverride,
    OptionalInt iommuGroup,
    List<PciAddress> iommuGroupMembers,
    OptionalInt numaNode,
    Optional<PciAddress> physfn,
    OptionalInt vfIndex,
    List<PciAddress> virtualFunctions,
    List<NetInterface> netInterfaces) {

  public PciDevice {
    iommuGroupMembers = List.copyOf(iommuGroupMembers);
    virtualFunctions = List.copyOf(virtualFunctions);
    netInterfaces = List.copyOf(netInterfaces);
  }

  /** Base class 0x06: host, ISA, PCI-to-PCI and other bridges. */
  public boolean isBridge() {
    return (pciClass >> 16) == 0x06;
  }

  /** A device ferry may hand to a VM: anything that is not a bridge. */
  public boolean isEndpoint() {
    return !isBridge();
  }

  public boolean isVirtualFunction() {
    return physfn.isPresent();
  }

  public boolean isBoundTo(String driverName) {
    return driver.filter(driverName::equals).isPresent();
  }
}
