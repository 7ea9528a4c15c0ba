package io.ferry.vfio;

import io.ferry.vfio.DeviceOperationException.Outcome;
import io.ferry.vfio.JournalEntry.Kind;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** What a prepare verifies before it changes anything; every failure here is a refusal. */
final class PrepareChecks {
  private static final Set<String> ISOLATING_DRIVERS = Set.of(VfioDevices.VFIO_PCI, "pci-stub");

  private final PciDiscovery discovery;
  private final Journal journal;

  PrepareChecks(PciDiscovery discovery, Journal journal) {
    this.discovery = discovery;
    this.journal = journal;
  }

  record Checked(PciDevice device, Optional<String> pfInterface) {}

  Checked check(PrepareRequest request) throws DeviceOperationException {
    PciAddress address = request.address();
    try {
      Map<PciAddress, List<JournalEntry>> sessions = journal.latestSessions();
      List<JournalEntry> session = sessions.get(address);
      if (session != null && last(session).kind() == Kind.PREPARED) {
        throw DeviceOperationException.refused(address, "already prepared by ferry (journal " + journal.file() + "); release it first");
      }
      if (session != null && last(session).kind() != Kind.RELEASED && last(session).kind() != Kind.ROLLED_BACK) {
        throw DeviceOperationException.refused(address, "an interrupted operation on this device is in the journal; run recovery first");
      }
      PciDevice device = discovery.find(address)
          .orElseThrow(() -> DeviceOperationException.refused(address, "no PCI device at this address"));
      if (!device.isEndpoint()) {
        throw DeviceOperationException.refused(address, String.format(
            "is a bridge (class 0x%06x), not an endpoint device", device.pciClass()));
      }
      if (device.iommuGroup().isEmpty()) {
        if (!request.allowNoIommu()) {
          throw DeviceOperationException.refused(address, "has no IOMMU group: the IOMMU is off or absent"
              + " (intel_iommu=on / amd_iommu=on); allow it explicitly to pass it through without DMA isolation");
        }
      } else {
        checkGroupMembers(device);
      }
      Optional<String> pfInterface = Optional.empty();
      if (device.physfn().isPresent()) {
        pfInterface = discovery.netInterfaces(device.physfn().get()).stream().map(NetInterface::name).findFirst();
      }
      if (request.changesVfSettings()) {
        if (!device.isVirtualFunction() || device.vfIndex().isEmpty()) {
          throw DeviceOperationException.refused(address, "is not an SR-IOV VF: MAC/VLAN/spoofchk/trust are set through a PF");
        }
        if (pfInterface.isEmpty()) {
          throw DeviceOperationException.refused(address, "its PF " + device.physfn().get()
              + " has no network interface to set the VF's settings through");
        }
      }
      return new Checked(device, pfInterface);
    } catch (IOException e) {
      throw new DeviceOperationException(address, Outcome.REFUSED, "cannot read its state: " + e.getMessage(),
          List.of(), List.of(), e);
    }
  }

  private void checkGroupMembers(PciDevice device) throws IOException, DeviceOperationException {
    int group = device.iommuGroup().getAsInt();
    for (PciAddress member : device.iommuGroupMembers()) {
      if (member.equals(device.address())) {
        continue;
      }
      Optional<PciDevice> other = discovery.find(member);
      if (other.isEmpty() || other.get().isBridge()) {
        continue;
      }
      Optional<String> driver = other.get().driver();
      if (driver.isPresent() && !ISOLATING_DRIVERS.contains(driver.get())) {
        throw DeviceOperationException.refused(device.address(), "IOMMU group " + group + " is shared with "
            + member + ", which is bound to host driver " + driver.get()
            + "; every other member must be driverless, on vfio-pci or pci-stub, or a bridge");
      }
    }
  }

  private static JournalEntry last(List<JournalEntry> session) {
    return session.get(session.size() - 1);
  }
}
