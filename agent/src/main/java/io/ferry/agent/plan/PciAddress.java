package io.ferry.agent.plan;

/**
 * The plan's rule for a host PCI address: {@link io.ferry.vfio.PciAddress}'s strict parse, in the
 * canonical lowercase spelling only, because the address names a directory under {@code
 * /sys/bus/pci/devices/}, where {@code 0000:3B:01.0} does not exist.
 */
public final class PciAddress {

  private PciAddress() {}

  /**
   * Checks the address.
   *
   * @throws IllegalArgumentException saying what was expected (and the lowercase form, when that
   *     is the only thing wrong)
   */
  public static String requireValid(String text) {
    io.ferry.vfio.PciAddress address;
    try {
      address = io.ferry.vfio.PciAddress.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a PCI address DDDD:BB:DD.F (lowercase hex domain:bus:device.function,"
              + " device 00-1f, function 0-7, e.g. 0000:3b:01.0)",
          e);
    }
    if (!address.toString().equals(text)) {
      throw new IllegalArgumentException(
          "'" + text + "' must be lowercase hex as sysfs spells it: '" + address + "'");
    }
    return text;
  }
}
