package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PrepareRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/devices} answers from a sysfs scan at most {@link DeviceActions#LIST_MAX_AGE}
 * old, and never from one older than a prepare or release made through ferry. The vfio module's
 * fake kernel plays sysfs; the clock is the test's.
 */
class DeviceListAgeTest {
  private static final String SECOND_NIC = "0000:00:02.0";
  private static final long LIST_AGE_NANOS = DeviceActions.LIST_MAX_AGE.toNanos();

  @TempDir Path dir;
  private FakeHost host;
  private long nowNanos;
  private DeviceActions actions;

  @BeforeEach
  void start() throws Exception {
    host = new FakeHost(dir);
    actions = new DeviceActions(host.devices, Runnable::run, () -> nowNanos);
  }

  @AfterEach
  void stop() {
    host.close();
  }

  private List<Map<String, Object>> list() {
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> devices = (List<Map<String, Object>>) actions.list().join().json();
    return devices;
  }

  @Test
  void aDeviceAddedBehindFerrysBackShowsOnceTheScanIsOlderThanItsAge() {
    assertThat(list()).hasSize(1);
    host.kernel.device(SECOND_NIC, "8086:10c9", 0x020000, 8, "igb", "enp0s2");

    nowNanos += LIST_AGE_NANOS - 1;
    assertThat(list()).as("still the first scan").hasSize(1);
    nowNanos += 1;
    assertThat(list()).as("a new scan").extracting(d -> d.get("address")).containsExactly(FakeHost.NIC, SECOND_NIC);
  }

  @Test
  void aPrepareAndAReleaseThroughFerryShowAtOnce() throws Exception {
    assertThat(list().get(0).get("driver")).isEqualTo("igb");

    host.devices.prepare(PrepareRequest.of(PciAddress.parse(FakeHost.NIC)));
    assertThat(list().get(0).get("driver")).isEqualTo("vfio-pci");

    host.devices.release(PciAddress.parse(FakeHost.NIC));
    assertThat(list().get(0).get("driver")).isEqualTo("igb");
  }
}
