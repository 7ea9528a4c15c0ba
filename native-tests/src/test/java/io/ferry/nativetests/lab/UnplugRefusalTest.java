package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.lab.Hotplug;
import io.ferry.agent.lab.LabVm;
import io.ferry.qmp.DeviceDeleted;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QomProperty;
import io.ferry.qmp.QmpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guests that refuse a PCI unplug on demand (a paused guest; native PCIe hotplug with
 * {@code pcie_ports=compat}) and the control (native hotplug, normal guest: the unplug completes).
 * The two booting guests start together to halve the wall time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoLeftoverQemu.class)
class UnplugRefusalTest {
  private static final String NIC = "e1000e,id=hostnet1,bus=rp1,mac=52:54:00:00:00:31,romfile=";
  private static final Pattern NIC_IN_GUEST = Pattern.compile("FERRY-NICS: .*52:54:00:00:00:31 e1000e");
  private static final Duration BOOT = Duration.ofSeconds(180);
  /** Longer than a normal guest's native unplug (about 6.25 s), so refusal is not mere slowness. */
  private static final Duration REFUSAL_WINDOW = Duration.ofSeconds(8);

  @TempDir static Path workDir;
  private LabVm refusing;
  private LabVm nativeNormal;

  @BeforeAll
  void bootBoth() {
    var a = LabVm.builder("refusing", workDir, LabGuest.image()).rootPorts(1).device(NIC).refusingUnplug().startAsync();
    var b = LabVm.builder("native", workDir, LabGuest.image()).rootPorts(1).device(NIC).hotplug(Hotplug.NATIVE).startAsync();
    CompletableFuture.allOf(a, b).handle((r, e) -> null).join();
    refusing = a.join();
    nativeNormal = b.join();
    CompletableFuture.allOf(
            refusing.awaitConsole(NIC_IN_GUEST, BOOT), nativeNormal.awaitConsole(NIC_IN_GUEST, BOOT))
        .join();
  }

  @AfterAll
  void stop() {
    for (LabVm vm : new LabVm[] {refusing, nativeNormal}) {
      if (vm != null) {
        vm.close();
      }
    }
  }

  @Test
  void pausedGuestNeverCompletesTheUnplug() {
    try (LabVm paused = LabVm.builder("paused", workDir, LabGuest.image()).rootPorts(1).device(NIC).paused(true).start()) {
      QmpClient qmp = paused.qmp().join();
      assertThat(qmp.queryStatus().join().running()).isFalse();
      assertUnplugRefused(qmp);
    }
  }

  @Test
  void guestWithNativeHotplugAndCompatPortsNeverCompletesTheUnplug() {
    QmpClient qmp = refusing.qmp().join();
    assertThat(qmp.queryStatus().join().running()).as("the guest runs; it just ignores the button").isTrue();
    int mark = refusing.consoleLineCount();
    assertUnplugRefused(qmp);
    assertThat(refusing.consoleLines().subList(mark, refusing.consoleLineCount()))
        .as("the guest still has its NIC").noneMatch(line -> line.contains("FERRY-NICS: none"));
  }

  @Test
  void normalGuestWithNativeHotplugCompletesTheUnplug() {
    QmpClient qmp = nativeNormal.qmp().join();
    int mark = nativeNormal.consoleLineCount();
    var deleted = qmp.awaitEvent(e -> e instanceof DeviceDeleted d && "hostnet1".equals(d.device()), Duration.ofSeconds(40));
    qmp.deviceDel("hostnet1").join();
    assertThat(deleted.join()).isInstanceOf(DeviceDeleted.class);
    nativeNormal.awaitConsole(Pattern.compile("FERRY-NICS: none"), Duration.ofSeconds(30), mark).join();
    assertThat(qmp.queryPci().join()).extracting(PciDeviceInfo::qdevId).doesNotContain("hostnet1");
  }

  private static void assertUnplugRefused(QmpClient qmp) {
    var deleted = qmp.awaitEvent(e -> e instanceof DeviceDeleted d && "hostnet1".equals(d.device()), REFUSAL_WINDOW);
    qmp.deviceDel("hostnet1").join();
    assertThatThrownBy(deleted::join)
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(QmpTimeoutException.class);
    // qom-list, not query-pci: a guest that never booted has not numbered the root port's bus,
    // so query-pci cannot see behind it; the device object is there all the same.
    assertThat(qmp.qomList("/machine/peripheral").join()).extracting(QomProperty::name).contains("hostnet1");
  }
}
