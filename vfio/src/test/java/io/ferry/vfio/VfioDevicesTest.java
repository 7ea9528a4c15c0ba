package io.ferry.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ferry.vfio.DeviceOperationException.Outcome;
import io.ferry.vfio.netlink.VfInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Prepare, release and recovery against the fake kernel, one scenario of the issue per test. */
class VfioDevicesTest extends FakeKernelDevicesTest {
  @Test
  void plainVfIsBoundWithItsSettingsAndReleasedBackAsFound() throws Exception {
    PciAddress vf = plainVf();
    VfioDevices devices = devices();
    PrepareRequest request = new PrepareRequest(vf, Optional.of("52:54:00:AA:BB:CC"), OptionalInt.of(100),
        Optional.of(false), Optional.of(true), false);

    PreparedDevice prepared = devices.prepare(request);

    assertThat(prepared.boundByFerry()).isTrue();
    assertThat(prepared.vfioDevice()).contains("/dev/vfio/20");
    assertThat(prepared.originalDriver()).contains("igbvf");
    assertThat(prepared.groupStatus()).contains(new GroupStatus(true, 0, true));
    assertThat(describe(vf).driver()).contains("vfio-pci");
    assertThat(describe(vf).driverOverride()).contains("vfio-pci");
    assertThat(describe(vf).netInterfaces()).isEmpty();
    assertThat(kernel.exists("/dev/vfio/20")).isTrue();
    assertThat(kernel.vf("enp3s0f0", 0)).isEqualTo(
        new VfInfo(0, "52:54:00:aa:bb:cc", 100, 0, Optional.of(false), Optional.of(true), OptionalInt.of(0)));
    assertThat(kernel.writeLog()).noneMatch(w -> w.contains("new_id"));
    assertThat(devices.prepared()).containsExactly(vf);

    ReleasedDevice released = devices.release(vf);

    assertThat(released.driver()).contains("igbvf");
    assertThat(released.leftOnVfio()).isFalse();
    PciDevice after = describe(vf);
    assertThat(after.driver()).contains("igbvf");
    assertThat(after.driverOverride()).isEmpty();
    assertThat(after.netInterfaces()).extracting(NetInterface::name).containsExactly("enp3s0f0v0");
    assertThat(kernel.exists("/dev/vfio/20")).isFalse();
    assertThat(kernel.vf("enp3s0f0", 0)).isEqualTo(VF_AS_FOUND);
    assertThat(devices.prepared()).isEmpty();
  }

  /** Write-ahead: when the kernel sees each change, the journal already announces it. */
  @Test
  void everyChangeIsJournaledBeforeTheKernelSeesIt() throws Exception {
    PciAddress vf = plainVf();
    Journal journal = new Journal(journalFile);
    List<String> seen = new java.util.ArrayList<>();
    kernel.beforeEachChange(path -> {
      try {
        JournalEntry last = journal.entries().get(journal.entries().size() - 1);
        seen.add(path.replace(vf.toString(), "VF") + " after " + last.kind() + (last.step() == null ? "" : " " + last.step()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });

    devices().prepare(new PrepareRequest(vf, Optional.of("52:54:00:00:00:06"), OptionalInt.empty(),
        Optional.empty(), Optional.empty(), false));

    assertThat(seen).containsExactly(
        "/sys/bus/pci/devices/VF/driver_override after STEP OVERRIDE_SET",
        "/sys/bus/pci/drivers/igbvf/unbind after STEP UNBOUND",
        "/sys/bus/pci/drivers_probe after STEP PROBED",
        "RTM_SETLINK after STEP VF_CONFIGURED");
    assertThat(journal.entries()).extracting(JournalEntry::kind).containsExactly(
        JournalEntry.Kind.BEGIN, JournalEntry.Kind.VF_SAVED, JournalEntry.Kind.STEP, JournalEntry.Kind.STEP,
        JournalEntry.Kind.STEP, JournalEntry.Kind.STEP, JournalEntry.Kind.PREPARED);
    assertThat(journal.entries().get(0).facts()).containsEntry("driver", "igbvf")
        .containsEntry("pfInterface", "enp3s0f0").containsEntry("vfIndex", "0");
  }

  @Test
  void groupSharedWithADeviceOnAHostDriverIsRefusedNamingThatMember() throws Exception {
    kernel.vfioPciLoaded();
    PciAddress nic = kernel.device("0000:00:1f.6", "8086:10d3", ETHERNET, 7, "e1000e", "eno1");
    kernel.device("0000:00:1f.3", "8086:a170", AUDIO, 7, "snd_hda_intel", null);

    DeviceOperationException refused =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(nic)));

    assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(refused.getMessage()).contains("0000:00:1f.3").contains("snd_hda_intel").contains("group 7");
    assertThat(describe(nic).driver()).contains("e1000e");
    assertThat(describe(nic).driverOverride()).isEmpty();
    assertThat(kernel.writeLog()).isEmpty();
  }

  @Test
  void groupWithABridgeIsAllowed() throws Exception {
    kernel.vfioPciLoaded();
    kernel.device("0000:00:1c.0", "8086:a110", PCI_BRIDGE, 8, "pcieport", null);
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 8, "e1000e", "enp2s0");

    PreparedDevice prepared = devices().prepare(PrepareRequest.of(nic));

    assertThat(prepared.vfioDevice()).contains("/dev/vfio/8");
    assertThat(describe(nic).driver()).contains("vfio-pci");
  }

  @Test
  void deviceWithoutIommuGroupIsRefusedUnlessExplicitlyAllowed() throws Exception {
    kernel.vfioPciLoaded();
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, null, "e1000e", "enp2s0");

    DeviceOperationException refused =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(nic)));
    assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(refused.getMessage()).contains("no IOMMU group");
    assertThat(describe(nic).driver()).contains("e1000e");

    PreparedDevice allowed = devices().prepare(new PrepareRequest(nic, Optional.empty(), OptionalInt.empty(),
        Optional.empty(), Optional.empty(), true));
    assertThat(allowed.iommuGroup()).isEmpty();
    assertThat(allowed.groupStatus()).isEmpty();
    assertThat(describe(nic).driver()).contains("vfio-pci");
  }

  @Test
  void missingVfioPciIsLoadedWithModprobe() throws Exception {
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");
    assertThat(kernel.exists("/sys/bus/pci/drivers/vfio-pci")).isFalse();

    devices().prepare(PrepareRequest.of(nic));

    assertThat(kernel.modprobeCalls()).isEqualTo(1);
    assertThat(describe(nic).driver()).contains("vfio-pci");
  }

  @Test
  void vfioPciThatCannotBeLoadedLeavesTheDeviceUntouched() throws Exception {
    kernel.vfioPciModuleAvailable(false);
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    DeviceOperationException failed =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(nic)));

    assertThat(failed.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(failed.getMessage()).contains("Module vfio-pci not found");
    assertThat(describe(nic).driver()).contains("e1000e");
    assertThat(kernel.writeLog()).isEmpty();
  }

  @Test
  void deviceAlreadyOnVfioPciIsLeftThereOnRelease() throws Exception {
    kernel.vfioPciLoaded();
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "vfio-pci", null);
    VfioDevices devices = devices();

    PreparedDevice prepared = devices.prepare(PrepareRequest.of(nic));
    assertThat(prepared.boundByFerry()).isFalse();
    assertThat(kernel.writeLog()).isEmpty();

    ReleasedDevice released = devices.release(nic);

    assertThat(released.leftOnVfio()).isTrue();
    assertThat(describe(nic).driver()).contains("vfio-pci");
    assertThat(kernel.exists("/dev/vfio/9")).isTrue();
    assertThat(kernel.writeLog()).isEmpty();
  }

  @Test
  void prepareAsyncRunsOnTheGivenExecutorAndCompletesExceptionallyOnRefusal() throws Exception {
    PciAddress vf = plainVf();
    java.util.concurrent.ExecutorService blocking = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      assertThat(devices().prepareAsync(PrepareRequest.of(vf), blocking).get().boundByFerry()).isTrue();
      assertThat(devices().prepareAsync(PrepareRequest.of(vf), blocking))
          .failsWithin(Duration.ofSeconds(5))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withCauseInstanceOf(DeviceOperationException.class);
      assertThat(devices().releaseAsync(vf, blocking).get().driver()).contains("igbvf");
    } finally {
      blocking.shutdownNow();
    }
  }

  @Test
  void releaseWhileAVmHoldsTheGroupIsRefusedAndChangesNothing() throws Exception {
    PciAddress vf = plainVf();
    VfioDevices devices = devices();
    devices.prepare(PrepareRequest.of(vf));
    kernel.groupInUse(20);
    int writes = kernel.writeLog().size();

    DeviceOperationException refused = catchThrowableOfType(DeviceOperationException.class, () -> devices.release(vf));

    assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(refused.getMessage()).contains("in use").contains("EBUSY");
    assertThat(kernel.writeLog()).hasSize(writes);
    assertThat(describe(vf).driver()).contains("vfio-pci");
    assertThat(devices.prepared()).containsExactly(vf);

    kernel.groupReleased(20);
    assertThat(devices.release(vf).driver()).contains("igbvf");
  }

  @Test
  void releaseAfterARestartUsesTheJournal() throws Exception {
    PciAddress vf = plainVf();
    devices().prepare(new PrepareRequest(vf, Optional.of("52:54:00:00:00:03"), OptionalInt.empty(),
        Optional.empty(), Optional.empty(), false));

    ReleasedDevice released = devices().release(vf);

    assertThat(released.driver()).contains("igbvf");
    assertThat(kernel.vf("enp3s0f0", 0)).isEqualTo(VF_AS_FOUND);
  }

  @Test
  void releaseOfADeviceFerryDidNotPrepareIsRefusedAndChangesNothing() throws Exception {
    kernel.vfioPciLoaded();
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "vfio-pci", null);

    DeviceOperationException refused =
        catchThrowableOfType(DeviceOperationException.class, () -> devices().release(nic));

    assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(refused.getMessage()).contains("releases only what it prepared");
    assertThat(describe(nic).driver()).contains("vfio-pci");
    assertThat(kernel.writeLog()).isEmpty();
  }

  @Test
  void preparingTwiceIsRefused() throws Exception {
    PciAddress vf = plainVf();
    VfioDevices devices = devices();
    devices.prepare(PrepareRequest.of(vf));

    DeviceOperationException refused =
        catchThrowableOfType(DeviceOperationException.class, () -> devices.prepare(PrepareRequest.of(vf)));

    assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(refused.getMessage()).contains("already prepared");
  }

  @Test
  void bridgesAndAbsentDevicesAreRefused() throws Exception {
    kernel.vfioPciLoaded();
    PciAddress bridge = kernel.device("0000:00:1c.0", "8086:a110", PCI_BRIDGE, 8, "pcieport", null);

    assertThat(catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(PrepareRequest.of(bridge))))
        .hasMessageContaining("not an endpoint");
    assertThat(catchThrowableOfType(DeviceOperationException.class,
        () -> devices().prepare(PrepareRequest.of(PciAddress.parse("0000:09:00.0")))))
        .hasMessageContaining("no PCI device");
    assertThat(kernel.writeLog()).isEmpty();
  }

  @Test
  void vfSettingsOnANonVfAreRefused() throws Exception {
    kernel.vfioPciLoaded();
    PciAddress nic = kernel.device("0000:02:00.0", "8086:10d3", ETHERNET, 9, "e1000e", "enp2s0");

    assertThat(catchThrowableOfType(DeviceOperationException.class, () -> devices().prepare(new PrepareRequest(nic,
        Optional.of("52:54:00:00:00:04"), OptionalInt.empty(), Optional.empty(), Optional.empty(), false))))
        .hasMessageContaining("not an SR-IOV VF");
    assertThat(kernel.writeLog()).isEmpty();
  }
}
