package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabVm;
import io.ferry.qmp.DeviceDeleted;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** One real guest (ACPI hotplug): it boots, heartbeats, and sees a NIC come and go. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoLeftoverQemu.class)
class GuestBootAndHotplugTest {
  private static final Duration BOOT = Duration.ofSeconds(120);
  @TempDir static Path workDir;
  private LabVm vm;
  private HeartbeatMonitor heartbeat;

  @BeforeAll
  void boot() throws Exception {
    vm = LabVm.builder("guest", workDir, LabGuest.image()).rootPorts(2).start();
    heartbeat = HeartbeatMonitor.connect(vm.heartbeatSocket());
    vm.awaitConsole(Pattern.compile("FERRY-READY"), BOOT).join();
  }

  @AfterAll
  void stop() {
    if (heartbeat != null) {
      heartbeat.close();
    }
    if (vm != null) {
      vm.close();
    }
  }

  @Test
  void guestHeartbeatsOnItsOwnPortWithConsecutiveSequenceNumbers() {
    long before = heartbeat.count(HeartbeatSide.SOURCE);
    heartbeat.awaitCount(HeartbeatSide.SOURCE, before + 500, Duration.ofSeconds(60)).join();

    assertThat(heartbeat.malformed()).as("lines that were not a sequence number").isZero();
    HeartbeatGap gap = heartbeat.largestGap().orElseThrow();
    assertThat(gap.sequenceContinuous()).as("no beat lost around the largest gap: " + gap).isTrue();
    assertThat(heartbeat.lastSeen().orElseThrow().sequence()).isGreaterThanOrEqualTo(before + 500);
    assertThat(vm.consoleLines()).as("the heartbeat never shows up on the console")
        .noneMatch(line -> line.matches("\\d+"));
  }

  @Test
  void hotpluggedNicAppearsInGuestAndDisappearsAfterDeviceDeleted() {
    QmpClient qmp = vm.qmp().join();
    int mark = vm.consoleLineCount();
    qmp.deviceAdd(
            Map.of("driver", "e1000e", "id", "hostnet1", "bus", "rp1", "mac", "52:54:00:00:00:21", "romfile", ""))
        .join();
    String seen =
        vm.awaitConsole(Pattern.compile("FERRY-NICS: .*52:54:00:00:00:21 e1000e"), Duration.ofSeconds(60), mark)
            .join();
    assertThat(seen).contains("eth0");

    mark = vm.consoleLineCount();
    var deleted =
        qmp.awaitEvent(e -> e instanceof DeviceDeleted d && "hostnet1".equals(d.device()), Duration.ofSeconds(20));
    qmp.deviceDel("hostnet1").join();
    assertThat(deleted.join()).isInstanceOf(DeviceDeleted.class);
    vm.awaitConsole(Pattern.compile("FERRY-NICS: none"), Duration.ofSeconds(30), mark).join();
    assertThat(qmp.queryPci().join()).extracting(PciDeviceInfo::qdevId).doesNotContain("hostnet1");
  }
}
