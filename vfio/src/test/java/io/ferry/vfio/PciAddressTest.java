package io.ferry.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PciAddressTest {

  @Test
  void parsesHexFieldsAndPrintsTheCanonicalLowercaseForm() {
    PciAddress a = PciAddress.parse("ABCD:EF:1F.7");

    assertThat(a).isEqualTo(new PciAddress(0xabcd, 0xef, 0x1f, 7));
    assertThat(a.toString()).isEqualTo("abcd:ef:1f.7");
    assertThat(a.sysfsPath()).isEqualTo("/sys/bus/pci/devices/abcd:ef:1f.7");
  }

  @Test
  void everyAddressInRangeRoundTripsThroughItsText() {
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      PciAddress a = new PciAddress(random.nextInt(0x10000), random.nextInt(0x100), random.nextInt(0x20), random.nextInt(8));
      assertThat(PciAddress.parse(a.toString())).isEqualTo(a);
      assertThat(PciAddress.parse(a.toString().toUpperCase())).isEqualTo(a);
      assertThat(a.toString()).matches("[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\\.[0-7]");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "0000:00:00", "00:00.0", "0:0:0.0", "0000:00:20.0", "0000:00:00.8", "0000:00:1f.f",
      "00000:00:00.0", "0000:000:00.0", " 0000:00:00.0", "0000:00:00.0 ", "0000:00:00.0\n",
      "0000:00:00.0/..", "../../../etc/passwd", "0000:00:00.0\0", "+000:00:00.0", "-001:00:00.0",
      "0000:00:00.0/driver", "0000:0g:00.0", "0000:00:00,0", "０000:00:00.0"})
  void refusesAnythingElseWithAnExplanation(String text) {
    assertThatThrownBy(() -> PciAddress.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DDDD:BB:DD.F");
  }

  @Test
  void refusesOutOfRangeFieldsBuiltDirectly() {
    assertThatThrownBy(() -> new PciAddress(0, 0, 0x20, 0)).hasMessageContaining("device out of range");
    assertThatThrownBy(() -> new PciAddress(0x10000, 0, 0, 0)).hasMessageContaining("domain out of range");
    assertThatThrownBy(() -> new PciAddress(0, -1, 0, 0)).hasMessageContaining("bus out of range");
    assertThatThrownBy(() -> new PciAddress(0, 0, 0, 8)).hasMessageContaining("function out of range");
  }

  @Test
  void ordersByDomainBusDeviceFunction() {
    assertThat(PciAddress.parse("0000:00:1f.7")).isLessThan(PciAddress.parse("0000:01:00.0"));
    assertThat(PciAddress.parse("0001:00:00.0")).isGreaterThan(PciAddress.parse("0000:ff:1f.7"));
  }
}
