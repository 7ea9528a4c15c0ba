package io.ferry.vfio;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI address {@code DDDD:BB:DD.F} (domain, bus, device, function), parsed strictly. It is the
 * only way a device reaches a sysfs path, so nothing a user types can escape {@code
 * /sys/bus/pci/devices/}.
 */
public record PciAddress(int domain, int bus, int device, int function) implements Comparable<PciAddress> {

  // Exactly four, two, two and one hex digits: no sign, no whitespace, no shorthand.
  private static final Pattern FORM =
      Pattern.compile("([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\\.([0-9a-fA-F])");

  public PciAddress {
    check("domain", domain, 0xffff);
    check("bus", bus, 0xff);
    check("device", device, 0x1f);
    check("function", function, 0x7);
  }

  /** Parses {@code DDDD:BB:DD.F} in hex; anything else is an {@link IllegalArgumentException}. */
  public static PciAddress parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("PCI address is missing; expected DDDD:BB:DD.F");
    }
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a PCI address: '" + printable(text) + "'; expected DDDD:BB:DD.F in hex, e.g. 0000:03:00.1");
    }
    try {
      return new PciAddress(
          Integer.parseInt(m.group(1), 16),
          Integer.parseInt(m.group(2), 16),
          Integer.parseInt(m.group(3), 16),
          Integer.parseInt(m.group(4), 16));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "not a PCI address: '" + text + "': " + e.getMessage() + "; expected DDDD:BB:DD.F", e);
    }
  }

  /** The device's directory in sysfs. */
  public String sysfsPath() {
    return "/sys/bus/pci/devices/" + this;
  }

  /** Canonical lowercase {@code dddd:bb:dd.f}, the kernel's own spelling. */
  @Override
  public String toString() {
    return String.format("%04x:%02x:%02x.%x", domain, bus, device, function);
  }

  @Override
  public int compareTo(PciAddress o) {
    return Long.compare(ordinal(), o.ordinal());
  }

  private long ordinal() {
    return ((long) domain << 16) | (bus << 8) | (device << 3) | function;
  }

  private static void check(String field, int value, int max) {
    if (value < 0 || value > max) {
      throw new IllegalArgumentException(
          "PCI " + field + " out of range: " + value + " (0-" + Integer.toHexString(max) + " hex)");
    }
  }

  private static String printable(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints().limit(64).forEach(c -> out.append(c < 0x20 || c == 0x7f ? "\\x" + Integer.toHexString(c) : Character.toString(c)));
    return out.toString();
  }
}
