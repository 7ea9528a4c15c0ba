package io.ferry.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ferry.vfio.DeviceOperationException.Outcome;
import io.ferry.vfio.fake.FakeKernel;
import io.ferry.vfio.fake.SimulatedCrash;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prepare and release when the kernel misbehaves (a bind that never completes or is slow, EBUSY,
 * EACCES, ENODEV, a group not viable or held open) and when ferry crashes between steps: the
 * device is restored, or the journal replay undoes or finishes what was begun.
 */
class VfioDevicesFaultTest extends FakeKernelDevicesTest {
  @Test
  void bindThatNeverCompletesTimesOutAndRestoresTheDevice() throws Exception {
    kernel.vfioPciLoaded().bindDelay("vfio-pci", FakeKernel.NEVER);
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    DeviceOperationException failed = catchThrowableOfType(DeviceOperationException.class,
        () -> devices(Duration.ofMillis(200)).prepare(PrepareRequest.of(nic)));

    assertThat(failed.outcome()).isEqualTo(Outcome.RESTORED);
    assertThat(failed.reason()).contains("did not complete within 200 ms");
    assertThat(failed.done()).contains("driver_override set to vfio-pci", "unbound from e1000e", "drivers_probe");
    assertThat(failed.undone()).contains("driver_override restored to (none)", "rebound to e1000e");
    PciDevice after = describe(nic);
    assertThat(after.driver()).contains("e1000e");
    assertThat(after.driverOverride()).isEmpty();
    assertThat(after.netInterfaces()).extracting(NetInterface::name).containsExactly("enp2s0");
    assertThat(new Journal(journalFile).entries()).last()
        .extracting(JournalEntry::kind).isEqualTo(JournalEntry.Kind.ROLLED_BACK);
  }

  @Test
  void slowBindIsAwaitedWithinTheBound() throws Exception {
    kernel.vfioPciLoaded().bindDelay("vfio-pci", Duration.ofMillis(150));
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    PreparedDevice prepared = devices(Duration.ofSeconds(5)).prepare(PrepareRequest.of(nic));

    assertThat(prepared.vfioDevice()).contains("/dev/vfio/9");
    assertThat(describe(nic).driver()).contains("vfio-pci");
  }

  @Test
  void unbindRefusedWithEbusyRestoresTheOverrideAndSaysSo() throws Exception {
    kernel.vfioPciLoaded().failNextWrite("/sys/bus/pci/drivers/e1000e/unbind", "EBUSY");
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    DeviceOperationException failed =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(nic)));

    assertThat(failed.outcome()).isEqualTo(Outcome.RESTORED);
    assertThat(failed.getMessage()).contains("EBUSY").contains("/sys/bus/pci/drivers/e1000e/unbind");
    assertThat(failed.undone()).containsExactly("driver_override restored to (none)");
    assertThat(describe(nic).driver()).contains("e1000e");
    assertThat(describe(nic).driverOverride()).isEmpty();
  }

  @Test
  void overrideRefusedWithEaccesChangesNothing() throws Exception {
    kernel.vfioPciLoaded().failNextWrite("/sys/bus/pci/devices/0000:02:00.0/driver_override", "EACCES");
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    DeviceOperationException failed =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(nic)));

    assertThat(failed.getMessage()).contains("EACCES");
    assertThat(describe(nic).driver()).contains("e1000e");
    assertThat(describe(nic).driverOverride()).isEmpty();
  }

  @Test
  void probeRefusedWithEnodevRebindsTheOriginalDriver() throws Exception {
    kernel.vfioPciLoaded().failNextWrite("/sys/bus/pci/drivers_probe", "ENODEV");
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    DeviceOperationException failed =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(nic)));

    assertThat(failed.outcome()).isEqualTo(Outcome.RESTORED);
    assertThat(failed.getMessage()).contains("ENODEV");
    assertThat(describe(nic).driver()).contains("e1000e");
    assertThat(describe(nic).netInterfaces()).extracting(NetInterface::name).containsExactly("enp2s0");
  }

  @Test
  void groupThatIsNotViableIsRefusedAndTheDeviceRestored() throws Exception {
    kernel.vfioPciLoaded().groupNotViable(9);
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    DeviceOperationException failed =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(nic)));

    assertThat(failed.outcome()).isEqualTo(Outcome.RESTORED);
    assertThat(failed.reason()).contains("not VIABLE");
    assertThat(describe(nic).driver()).contains("e1000e");
    assertThat(kernel.exists("/dev/vfio/9")).isFalse();
  }

  @Test
  void groupHeldOpenByAnotherProcessIsReportedAndTheVfSettingsRestored() throws Exception {
    PciAddress vf = plainVf();
    kernel.groupInUse(20);

    DeviceOperationException failed = catchThrowableOfType(DeviceOperationException.class,
        () -> devices().prepare(new PrepareRequest(vf, Optional.of("52:54:00:00:00:01"), OptionalInt.empty(),
            Optional.empty(), Optional.empty(), false)));

    assertThat(failed.outcome()).isEqualTo(Outcome.RESTORED);
    assertThat(failed.reason()).contains("EBUSY");
    assertThat(kernel.vf("enp3s0f0", 0)).isEqualTo(VF_AS_FOUND);
    assertThat(describe(vf).driver()).contains("igbvf");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/sys/bus/pci/devices/0000:03:10.0/driver_override",
      "/sys/bus/pci/drivers/igbvf/unbind",
      "/sys/bus/pci/drivers_probe"})
  void crashBetweenStepsIsUndoneByJournalReplay(String crashAfter) throws Exception {
    PciAddress vf = plainVf();
    kernel.crashAfterWriting(crashAfter);

    assertThatThrownBy(() -> devices().prepare(PrepareRequest.of(vf))).isInstanceOf(SimulatedCrash.class);
    assertThat(describe(vf).driverOverride()).contains("vfio-pci");

    // A new agent process over the same journal.
    List<ReleasedDevice> recovered = devices().recover();

    assertThat(recovered).extracting(ReleasedDevice::address).containsExactly(vf);
    PciDevice after = describe(vf);
    assertThat(after.driver()).contains("igbvf");
    assertThat(after.driverOverride()).isEmpty();
    assertThat(after.netInterfaces()).extracting(NetInterface::name).containsExactly("enp3s0f0v0");
    assertThat(devices().recover()).isEmpty();
    assertThat(devices().prepare(PrepareRequest.of(vf)).boundByFerry()).isTrue();
  }

  @Test
  void crashAfterVfSettingsChangedRestoresThemOnReplay() throws Exception {
    PciAddress vf = plainVf();
    kernel.crashAfterNextVfChange();
    assertThatThrownBy(() -> devices().prepare(new PrepareRequest(vf, Optional.of("52:54:00:00:00:02"),
        OptionalInt.of(5), Optional.empty(), Optional.empty(), false))).isInstanceOf(SimulatedCrash.class);

    assertThat(kernel.vf("enp3s0f0", 0).vlan()).isEqualTo(5);

    devices().recover();

    assertThat(kernel.vf("enp3s0f0", 0)).isEqualTo(VF_AS_FOUND);
    assertThat(describe(vf).driver()).contains("igbvf");
  }

  @Test
  void crashDuringReleaseIsFinishedByJournalReplay() throws Exception {
    PciAddress vf = plainVf();
    devices().prepare(new PrepareRequest(vf, Optional.of("52:54:00:00:00:05"), OptionalInt.empty(),
        Optional.empty(), Optional.empty(), false));
    kernel.crashAfterWriting("/sys/bus/pci/drivers/vfio-pci/unbind");

    assertThatThrownBy(() -> devices().release(vf)).isInstanceOf(SimulatedCrash.class);
    assertThat(describe(vf).driver()).isEmpty();
    assertThat(devices().prepared()).isEmpty();

    List<ReleasedDevice> recovered = devices().recover();

    assertThat(recovered).extracting(ReleasedDevice::driver).containsExactly(Optional.of("igbvf"));
    assertThat(describe(vf).netInterfaces()).extracting(NetInterface::name).containsExactly("enp3s0f0v0");
    assertThat(kernel.vf("enp3s0f0", 0)).isEqualTo(VF_AS_FOUND);
    assertThat(new Journal(journalFile).entries()).last()
        .extracting(JournalEntry::kind).isEqualTo(JournalEntry.Kind.RELEASED);
  }
}
