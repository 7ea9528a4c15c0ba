package io.ferry.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpCommandException;
import io.ferry.qmp.QmpDisconnectedException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The bus a device is plugged back into is the root port whose secondary bus holds it. */
class SourceDeviceReaderTest {
  private static final List<PciDeviceInfo> PCI =
      List.of(
          new PciDeviceInfo(0, 0, 0, "", 0x0600, "Host bridge", 0x8086, 0x29c0, null),
          new PciDeviceInfo(0, 1, 0, "rp1", 0x0604, "PCI bridge", 0x1b36, 0x000c, 1),
          new PciDeviceInfo(0, 1, 1, "rp2", 0x0604, "PCI bridge", 0x1b36, 0x000c, 2),
          new PciDeviceInfo(2, 0, 0, "hostnet1", 0x0200, "Ethernet controller", 0x8086, 0x10d3, null),
          new PciDeviceInfo(0, 2, 0, "onroot", 0x0200, "Ethernet controller", 0x8086, 0x10d3, null));

  @Test
  void aDeviceBehindARootPortGoesBackOnThatPort() {
    assertThat(SourceDeviceReader.busOf("hostnet1", PCI)).contains("rp2");
  }

  @Test
  void aDeviceOnTheRootBusOrUnknownHasNoHotpluggableBus() {
    assertThat(SourceDeviceReader.busOf("onroot", PCI)).isEmpty();
    assertThat(SourceDeviceReader.busOf("nosuch", PCI)).isEmpty();
  }

  @Test
  void destinationPropertiesAreThePlansOrElseTheSourcesAndAlwaysCarryTheId() {
    SourceDevice device =
        new SourceDevice("hostnet1", Map.of("driver", "e1000e", "id", "hostnet1", "bus", "rp2", "mac", "52:54:00:00:00:11"));
    assertThat(device.destinationProperties(Optional.empty())).isEqualTo(device.properties());
    assertThat(device.destinationProperties(Optional.of(Map.of("driver", "vfio-pci", "host", "0000:3b:01.0"))))
        .isEqualTo(Map.of("driver", "vfio-pci", "host", "0000:3b:01.0", "id", "hostnet1"));
  }

  @Test
  void onlyQemusPropertyNotFoundAnswerMeansTheDriverLacksTheProperty() {
    // Both strings as QEMU 7.2 answered qom-get on an e1000e and on a device that does not exist.
    assertThat(SourceDeviceReader.propertyMissing(
            new QmpCommandException("qom-get", "GenericError", "Property 'e1000e.host' not found")))
        .isTrue();
    assertThat(SourceDeviceReader.propertyMissing(
            new CompletionException(
                new QmpCommandException("qom-get", "GenericError", "Property 'e1000e.host' not found"))))
        .isTrue();
    assertThat(SourceDeviceReader.propertyMissing(
            new QmpCommandException("qom-get", "DeviceNotFound", "Device '/machine/peripheral/nosuch' not found")))
        .isFalse();
    assertThat(SourceDeviceReader.propertyMissing(new QmpDisconnectedException("monitor closed", null))).isFalse();
  }

  @Test
  void theBusFoundInQueryPciIsAddedToWhatWasRead() {
    SourceDevice read = new SourceDevice("hostnet1", Map.of("driver", "e1000e", "id", "hostnet1"));
    assertThat(read.onBus(SourceDeviceReader.busOf("hostnet1", PCI)).properties()).containsEntry("bus", "rp2");
    assertThat(read.onBus(Optional.empty())).isEqualTo(read);
  }
}
