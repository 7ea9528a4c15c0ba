package io.ferry.vfio;

import io.ferry.vfio.sysfs.SysFs;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * After the bind: whether the kernel has finished handing a device to vfio-pci (its driver link and
 * its /dev/vfio node) and whether its IOMMU group can be used (the VFIO ioctls' verdict).
 */
final class VfioReadiness {
  private final SysFs sysfs;
  private final PciDiscovery discovery;
  private final GroupProbe groupProbe;
  private final VfioTimeouts timeouts;

  VfioReadiness(SysFs sysfs, PciDiscovery discovery, GroupProbe groupProbe, VfioTimeouts timeouts) {
    this.sysfs = sysfs;
    this.discovery = discovery;
    this.groupProbe = groupProbe;
    this.timeouts = timeouts;
  }

  /**
   * Waits, within the bind timeout, until the device is on vfio-pci and its VFIO node exists;
   * returns that node (null for a device without an IOMMU group).
   */
  String awaitVfio(PciAddress address, OptionalInt group) throws IOException {
    String[] node = new String[1];
    boolean bound = BoundedWait.until(() -> {
      if (!discovery.driver(address).filter(VfioDevices.VFIO_PCI::equals).isPresent()) {
        return false;
      }
      node[0] = vfioNode(address, group).orElse(null);
      return node[0] != null || group.isEmpty();
    }, timeouts.bind(), timeouts.pollInterval());
    if (!bound) {
      throw new IOException("binding to vfio-pci did not complete within " + BoundedWait.describe(timeouts.bind())
          + ": driver is " + discovery.driver(address).orElse("(none)")
          + (group.isPresent() ? ", /dev/vfio/" + group.getAsInt() + (sysfs.exists("/dev/vfio/" + group.getAsInt()) ? " present" : " absent") : ""));
    }
    return node[0];
  }

  /** The group node, or the per-device cdev of kernels with vfio-dev. */
  private Optional<String> vfioNode(PciAddress address, OptionalInt group) throws IOException {
    if (group.isPresent() && sysfs.exists("/dev/vfio/" + group.getAsInt())) {
      return Optional.of("/dev/vfio/" + group.getAsInt());
    }
    for (String cdev : sysfs.list(address.sysfsPath() + "/vfio-dev")) {
      if (sysfs.exists("/dev/vfio/devices/" + cdev)) {
        return Optional.of("/dev/vfio/devices/" + cdev);
      }
    }
    return Optional.empty();
  }

  /** The group through the VFIO ioctls: viable, API 0, type1 IOMMU; otherwise why not. */
  GroupStatus probe(int group) throws IOException {
    GroupStatus status = groupProbe.probe(group);
    if (!status.viable()) {
      throw new IOException("IOMMU group " + group + " is not VIABLE (VFIO_GROUP_GET_STATUS): a member is"
          + " still on a host driver");
    }
    if (status.apiVersion() != 0) {
      throw new IOException("VFIO API version " + status.apiVersion() + " (expected 0)");
    }
    if (!status.type1Supported()) {
      throw new IOException("VFIO container lacks the type1 IOMMU (VFIO_CHECK_EXTENSION); is vfio_iommu_type1 loaded?");
    }
    return status;
  }
}
