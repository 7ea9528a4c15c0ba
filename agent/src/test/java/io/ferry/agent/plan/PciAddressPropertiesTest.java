package io.ferry.agent.plan;

import static io.ferry.agent.testing.Property.forAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.testing.Property;
import org.junit.jupiter.api.Test;

class PciAddressPropertiesTest {

  @Test
  void everyDomainBusDeviceFunctionInRangeIsAccepted() {
    forAll(5_000,
        r -> String.format("%04x:%02x:%02x.%x", r.nextInt(0x10000), r.nextInt(0x100),
            r.nextInt(0x20), r.nextInt(8)),
        address -> assertThat(PciAddress.requireValid(address)).isEqualTo(address));
  }

  @Test
  void outOfRangeDeviceOrFunctionIsRejected() {
    forAll(2_000,
        r -> r.nextBoolean()
            ? String.format("0000:00:%02x.0", 0x20 + r.nextInt(0xe0))
            : String.format("0000:00:00.%x", 8 + r.nextInt(8)),
        address -> assertThatThrownBy(() -> PciAddress.requireValid(address))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("is not a PCI address"));
  }

  @Test
  void uppercaseIsRejectedWithTheLowercaseForm() {
    forAll(2_000,
        r -> String.format("%04X:%02X:%02X.%X", 0xa000 + r.nextInt(0x6000), r.nextInt(0x100),
            r.nextInt(0x20), r.nextInt(8)),
        address -> assertThatThrownBy(() -> PciAddress.requireValid(address))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'" + address.toLowerCase() + "'"));
  }

  @Test
  void anyStringIsEitherAStrictAddressOrRejectedWithIllegalArgument() {
    forAll(10_000, r -> Property.string(r, "0123456789abcdefABCDEFgx:.", 14), text -> {
      try {
        PciAddress.requireValid(text);
      } catch (IllegalArgumentException expected) {
        assertThat(isStrictAddress(text)).isFalse();
        return;
      }
      assertThat(isStrictAddress(text)).isTrue();
    });
  }

  /** An oracle written differently from the implementation: split and range-check. */
  private static boolean isStrictAddress(String text) {
    String[] parts = text.split("[:.]", -1);
    if (parts.length != 4 || text.length() != 12 || text.charAt(4) != ':' || text.charAt(7) != ':'
        || text.charAt(10) != '.') {
      return false;
    }
    for (String p : parts) {
      if (!p.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return Integer.parseInt(parts[2], 16) <= 0x1f && Integer.parseInt(parts[3], 16) <= 7;
  }
}
