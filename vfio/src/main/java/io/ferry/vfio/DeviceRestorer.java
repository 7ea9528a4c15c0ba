package io.ferry.vfio;

import io.ferry.vfio.JournalEntry.Step;
import io.ferry.vfio.netlink.VfChange;
import io.ferry.vfio.sysfs.SysFs;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Puts a device back as a journal session found it; shared by rollback, release and recovery. */
final class DeviceRestorer {
  private static final String DRIVERS = "/sys/bus/pci/drivers";

  private final SysFs sysfs;
  private final PciDiscovery discovery;
  private final VfControl vfControl;
  private final VfioTimeouts timeouts;

  DeviceRestorer(SysFs sysfs, PciDiscovery discovery, VfControl vfControl, VfioTimeouts timeouts) {
    this.sysfs = sysfs;
    this.discovery = discovery;
    this.vfControl = vfControl;
    this.timeouts = timeouts;
  }

  /**
   * Puts back what the recorded steps may have changed, in the order a release does it:
   * driver_override, original driver, its netdev, then the VF settings on the PF. Each part is
   * idempotent, so replaying it after a crash that hit before the change is harmless.
   */
  void restore(PciAddress address, RecordedSession recorded, List<String> undone, boolean awaitNetdev)
      throws IOException {
    FoundState found = recorded.found();
    Set<Step> steps = recorded.steps();
    if (steps.contains(Step.OVERRIDE_SET)) {
      // An empty write clears the override; the kernel wants at least a newline to see a write.
      sysfs.write(address.sysfsPath() + "/driver_override", found.driverOverride().orElse("\n"));
      undone.add("driver_override restored to " + found.driverOverride().orElse("(none)"));
    }
    boolean rebound = false;
    if (steps.contains(Step.UNBOUND) || steps.contains(Step.PROBED)) {
      Optional<String> current = discovery.driver(address);
      if (!current.equals(found.driver())) {
        if (current.isPresent()) {
          sysfs.write(driverPath(current.get()) + "/unbind", address.toString());
          undone.add("unbound from " + current.get());
        }
        if (found.driver().isPresent()) {
          rebind(address, found.driver().get());
          undone.add("rebound to " + found.driver().get());
          rebound = true;
        }
      }
    }
    if ((rebound || awaitNetdev) && !found.netInterfaces().isEmpty() && found.driver().isPresent()) {
      boolean back = BoundedWait.until(() -> !discovery.netInterfaces(address).isEmpty(), timeouts.netdev(),
          timeouts.pollInterval());
      if (!back) {
        throw new IOException(found.driver().get() + " is bound again but network interface "
            + found.netInterfaces() + " did not return within " + BoundedWait.describe(timeouts.netdev()));
      }
      undone.add("network interface back: " + discovery.netInterfaces(address).stream().map(NetInterface::name).toList());
    }
    if (steps.contains(Step.VF_CONFIGURED) && recorded.savedVf().isPresent() && found.pfInterface().isPresent()) {
      vfControl.apply(found.pfInterface().get(), VfChange.restoring(recorded.savedVf().get()));
      undone.add("VF " + recorded.savedVf().get().vf() + " settings restored on " + found.pfInterface().get());
    }
  }

  private void rebind(PciAddress address, String driver) throws IOException {
    try {
      sysfs.write(driverPath(driver) + "/bind", address.toString());
    } catch (IOException bindFailure) {
      // The original driver may have been bound by id match: let the kernel probe again.
      sysfs.write("/sys/bus/pci/drivers_probe", address.toString());
    }
    boolean back = BoundedWait.until(() -> discovery.driver(address).filter(driver::equals).isPresent(),
        timeouts.bind(), timeouts.pollInterval());
    if (!back) {
      throw new IOException("could not rebind to " + driver + " within " + BoundedWait.describe(timeouts.bind())
          + ": driver is " + discovery.driver(address).orElse("(none)"));
    }
  }

  /** The driver's directory; driver names come from sysfs links but are checked all the same. */
  static String driverPath(String driver) {
    if (!driver.matches("[A-Za-z0-9_.+-]+")) {
      throw new IllegalArgumentException("unexpected driver name: " + driver);
    }
    return DRIVERS + "/" + driver;
  }
}
