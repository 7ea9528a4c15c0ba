package io.ferry.nativetests.vfio;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.QmpClient;
import io.ferry.vfio.DeviceOperationException;
import io.ferry.vfio.InGuestCheck;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PciDevice;
import io.ferry.vfio.PrepareRequest;
import io.ferry.vfio.PreparedDevice;
import io.ferry.vfio.ReleasedDevice;
import io.ferry.vfio.VfioDevices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs inside the lab guest (see {@link RealKernelVfioTest}): a real VFIO assignment end to end.
 * ferry prepares the guest's e1000e, a nested {@code qemu-system-x86_64 -S} gets it with {@code
 * device_add vfio-pci,host=...} through ferry's QMP client, ferry is refused the device while
 * that QEMU holds it, and after QEMU quits ferry releases it back to e1000e; then the daemon's
 * peer side takes the NIC through {@code /v1/incoming} ({@link IncomingOnRealKernel}). Prints {@code CHECK}
 * lines like InGuestCheck and exits 0 only when all passed.
 */
public final class NestedAssignmentMain {
  private static int failures;

  public static void main(String[] args) {
    // One JVM for both parts: a JVM start costs tens of seconds under TCG.
    if (!InGuestCheck.runAll(Path.of("/tmp/ferry-inguest"))) {
      failures++;
    }
    try {
      nested(Path.of(args.length > 0 ? args[0] : "/tmp/ferry-nested"));
    } catch (Exception | AssertionError e) {
      check("nested-run", false, e.toString());
    }
    finish();
  }

  private static void nested(Path state) throws Exception {
    Files.createDirectories(state);
    VfioDevices devices = VfioDevices.forHost(state.resolve("devices.journal"));
    Optional<PciDevice> nic = devices.list().stream()
        .filter(d -> d.vendor() == 0x8086 && d.device() == 0x10d3 && d.iommuGroupMembers().size() == 1)
        .findFirst();
    if (nic.isEmpty()) {
      check("nested-setup", false, "no e1000e alone in its IOMMU group");
      return;
    }
    PciAddress address = nic.get().address();
    PreparedDevice prepared = devices.prepare(PrepareRequest.of(address));
    check("nested-prepare", prepared.groupStatus().map(s -> s.viable()).orElse(false), prepared.toString());
    try {
      assign(address, state);
    } finally {
      // Even when the nested part failed, the guest's NIC goes back to e1000e.
      ReleasedDevice released = devices.release(address);
      check("nested-release", released.driver().equals(Optional.of("e1000e")), released.toString());
    }
    Path incoming = Files.createDirectories(state.resolve("incoming"));
    new IncomingOnRealKernel(incoming, address, VfioDevices.forHost(incoming.resolve("devices.journal")),
        NestedAssignmentMain::check).run();
  }

  private static void assign(PciAddress address, Path state) throws Exception {
    try (NestedQemu qemu = NestedQemu.start(state, "nested", "-S")) {
      QmpClient qmp = qemu.connect();
      long start = System.nanoTime();
      qmp.deviceAdd(Map.of("driver", "vfio-pci", "host", address.toString(), "id", "hostdev0", "bus", "rp1"))
          .get(120, TimeUnit.SECONDS);
      long addMs = (System.nanoTime() - start) / 1_000_000;
      // With -S the firmware has not numbered the root port's bus yet, so query-pci cannot list
      // what sits behind it; QOM shows the realized device and the host address it holds.
      JsonNode realized = qmp.qomGet("/machine/peripheral/hostdev0", "realized").get(60, TimeUnit.SECONDS);
      JsonNode host = qmp.qomGet("/machine/peripheral/hostdev0", "host").get(60, TimeUnit.SECONDS);
      check("nested-device-add", realized.asBoolean() && host.asText().equals(address.toString()),
          "device_add vfio-pci,host=" + address + " ms=" + addMs + " realized=" + realized + " host=" + host);

      try {
        // Unbinding vfio-pci under a running VM would block in the kernel: ferry must refuse.
        VfioDevices.forHost(state.resolve("devices.journal")).release(address);
        check("nested-release-refused-in-use", false, "release succeeded while QEMU held the group");
      } catch (DeviceOperationException e) {
        check("nested-release-refused-in-use", e.outcome() == DeviceOperationException.Outcome.REFUSED
            && e.getMessage().contains("EBUSY"), e.getMessage());
      }
      try {
        VfioDevices other = VfioDevices.forHost(state.resolve("other.journal"));
        other.prepare(PrepareRequest.of(address));
        check("nested-refuse-in-use", false, "prepare succeeded while QEMU held the group");
      } catch (DeviceOperationException e) {
        check("nested-refuse-in-use", e.getMessage().contains("EBUSY"), e.getMessage());
      }
      qmp.quit().exceptionally(t -> null).get(60, TimeUnit.SECONDS);
    }
  }

  private static void check(String name, boolean ok, String detail) {
    System.out.println("CHECK " + name + " " + (ok ? "OK" : "FAIL") + " " + detail);
    System.out.flush();
    if (!ok) {
      failures++;
    }
  }

  private static void finish() {
    System.out.println(failures == 0 ? "NESTED-CHECK=OK" : "NESTED-CHECK=FAIL " + failures);
    System.out.flush();
    System.exit(failures == 0 ? 0 : 1);
  }
}
