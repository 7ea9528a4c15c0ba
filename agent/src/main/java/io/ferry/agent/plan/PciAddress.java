package io.ferry.agent.plan;

import java.util.regex.Pattern;

/**
 * A host PCI address as sysfs spells it: {@code DDDD:BB:DD.F}, lowercase hex, device 00-1f,
 * function 0-7. Lowercase only because ferry uses the address as a directory name under
 * {@code /sys/bus/pci/devices/}, where {@code 0000:3B:01.0} does not exist.
 */
public final class PciAddress {

  private static final Pattern SYNTAX =
      Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\\.[0-7]");
  private static final Pattern UPPERCASE_BUT_OTHERWISE_VALID =
      Pattern.compile("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[01][0-9a-fA-F]\\.[0-7]");

  private PciAddress() {}

  /**
   * Checks the address.
   *
   * @throws IllegalArgumentException saying what was expected (and the lowercase form, when that
   *     is the only thing wrong)
   */
  public static String requireValid(String text) {
    if (SYNTAX.matcher(text).matches()) {
      return text;
    }
    if (UPPERCASE_BUT_OTHERWISE_VALID.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' must be lowercase hex as sysfs spells it: '" + text.toLowerCase() + "'");
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a PCI address DDDD:BB:DD.F (lowercase hex domain:bus:device.function,"
            + " device 00-1f, function 0-7, e.g. 0000:3b:01.0)");
  }
}
