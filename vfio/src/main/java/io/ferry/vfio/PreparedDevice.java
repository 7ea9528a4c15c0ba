package io.ferry.vfio;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A device ready for {@code device_add vfio-pci,host=...}.
 *
 * @param vfioDevice the group node ({@code /dev/vfio/N}) or vfio-dev cdev QEMU will open
 * @param boundByFerry false when the device was already on vfio-pci (release leaves it there)
 * @param groupStatus what the VFIO ioctls reported; empty only for an allowed IOMMU-less device
 * @param steps what ferry did, in order
 */
public record PreparedDevice(
    PciAddress address,
    OptionalInt iommuGroup,
    Optional<String> vfioDevice,
    Optional<String> originalDriver,
    boolean boundByFerry,
    Optional<GroupStatus> groupStatus,
    List<String> steps) {
  public PreparedDevice {
    steps = List.copyOf(steps);
  }
}
