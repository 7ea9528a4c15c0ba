package io.ferry.vfio;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of a release.
 *
 * @param driver the driver the device is on now
 * @param leftOnVfio true when ferry did not bind the device and so left it on vfio-pci
 * @param steps what ferry did, in order
 */
public record ReleasedDevice(PciAddress address, Optional<String> driver, boolean leftOnVfio, List<String> steps) {
  public ReleasedDevice {
    steps = List.copyOf(steps);
  }
}
