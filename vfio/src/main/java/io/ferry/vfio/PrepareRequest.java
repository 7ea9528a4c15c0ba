package io.ferry.vfio;

import io.ferry.vfio.netlink.LinkMessages;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What to prepare: the device and, for an SR-IOV VF, the settings its PF should give it.
 *
 * @param allowNoIommu accept a device without an IOMMU group (no DMA isolation: only for labs)
 */
public record PrepareRequest(
    PciAddress address,
    Optional<String> mac,
    OptionalInt vlan,
    Optional<Boolean> spoofChecking,
    Optional<Boolean> trusted,
    boolean allowNoIommu) {

  public PrepareRequest {
    mac.ifPresent(LinkMessages::parseMac);
    mac = mac.map(String::toLowerCase);
    vlan.ifPresent(v -> {
      if (v < 0 || v > 4095) {
        throw new IllegalArgumentException("VLAN id out of range 0-4095: " + v);
      }
    });
  }

  /** Bind to vfio-pci and change no VF setting. */
  public static PrepareRequest of(PciAddress address) {
    return new PrepareRequest(address, Optional.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty(), false);
  }

  public boolean changesVfSettings() {
    return mac.isPresent() || vlan.isPresent() || spoofChecking.isPresent() || trusted.isPresent();
  }
}
