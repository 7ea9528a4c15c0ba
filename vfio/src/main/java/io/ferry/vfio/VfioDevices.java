package io.ferry.vfio;

import io.ferry.vfio.JournalEntry.Kind;
import io.ferry.vfio.JournalEntry.Step;
import io.ferry.vfio.DeviceOperationException.Outcome;
import io.ferry.vfio.netlink.VfChange;
import io.ferry.vfio.netlink.VfInfo;
import io.ferry.vfio.sysfs.RootedSysFs;
import io.ferry.vfio.sysfs.SysFs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Hands PCI devices to vfio-pci and takes them back: the vfio module's facade. Every change is
 * journaled first; a failure midway puts the device back as it was found. The calls block on
 * sysfs and ioctls: call them off any event loop (the {@code *Async} variants take an executor).
 */
public final class VfioDevices {
  public static final String VFIO_PCI = "vfio-pci";
  private static final Set<String> ISOLATING_DRIVERS = Set.of(VFIO_PCI, "pci-stub");
  private static final String DRIVERS = "/sys/bus/pci/drivers";

  private final SysFs sysfs;
  private final PciDiscovery discovery;
  private final ModuleLoader modules;
  private final VfControl vfControl;
  private final GroupProbe groupProbe;
  private final Journal journal;
  private final VfioTimeouts timeouts;

  public VfioDevices(
      SysFs sysfs, ModuleLoader modules, VfControl vfControl, GroupProbe groupProbe, Journal journal, VfioTimeouts timeouts) {
    this.sysfs = sysfs;
    this.discovery = new PciDiscovery(sysfs);
    this.modules = modules;
    this.vfControl = vfControl;
    this.groupProbe = groupProbe;
    this.journal = journal;
    this.timeouts = timeouts;
  }

  /** The host's real kernel: sysfs under /, modprobe, rtnetlink and VFIO ioctls. */
  public static VfioDevices forHost(Path journalFile) {
    return new VfioDevices(
        RootedSysFs.host(),
        new ModprobeModuleLoader(),
        new RtnetlinkVfControl(),
        new IoctlGroupProbe("/dev/vfio"),
        new Journal(journalFile),
        VfioTimeouts.defaults());
  }

  public List<PciDevice> list() throws IOException {
    return discovery.list();
  }

  public Optional<PciDevice> find(PciAddress address) throws IOException {
    return discovery.find(address);
  }

  /** Devices the journal says ferry holds prepared now. */
  public Set<PciAddress> prepared() throws IOException {
    Set<PciAddress> held = new LinkedHashSet<>();
    journal.latestSessions().forEach((device, session) -> {
      if (last(session).kind() == Kind.PREPARED) {
        held.add(device);
      }
    });
    return held;
  }

  public CompletableFuture<PreparedDevice> prepareAsync(PrepareRequest request, Executor blockingExecutor) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return prepare(request);
      } catch (DeviceOperationException e) {
        throw new CompletionException(e);
      }
    }, blockingExecutor);
  }

  public CompletableFuture<ReleasedDevice> releaseAsync(PciAddress address, Executor blockingExecutor) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return release(address);
      } catch (DeviceOperationException e) {
        throw new CompletionException(e);
      }
    }, blockingExecutor);
  }

  /**
   * Binds the device to vfio-pci and proves it usable: IOMMU group checked, driver and /dev/vfio
   * node present, group VIABLE and the container speaking VFIO API 0 with a type1 IOMMU.
   */
  public synchronized PreparedDevice prepare(PrepareRequest request) throws DeviceOperationException {
    try (Journal.Lock held = lockJournal(request.address())) {
      return prepareLocked(request);
    } catch (IOException e) {
      throw new DeviceOperationException(request.address(), Outcome.NOT_RESTORED,
          "cannot release the journal lock: " + e.getMessage(), List.of(), List.of(), e);
    }
  }

  private PreparedDevice prepareLocked(PrepareRequest request) throws DeviceOperationException {
    PciAddress address = request.address();
    Checked checked = check(request);
    PciDevice device = checked.device();
    FoundState found = FoundState.of(device, checked.pfInterface());
    boolean alreadyOnVfio = device.isBoundTo(VFIO_PCI);

    List<String> done = new ArrayList<>();
    EnumSet<Step> steps = EnumSet.noneOf(Step.class);
    Optional<VfInfo> saved = Optional.empty();
    try {
      journal.append(address, Kind.BEGIN, null, found.toFacts());
      ensureVfioDriver(done);
      if (device.isVirtualFunction() && found.pfInterface().isPresent()) {
        saved = saveVf(address, found, request, done);
      }
      if (alreadyOnVfio) {
        done.add("already on vfio-pci: left bound, ferry will not unbind it on release");
      } else {
        bind(address, device, steps, done);
      }
      String node = awaitVfio(address, device.iommuGroup());
      if (request.changesVfSettings()) {
        step(address, Step.VF_CONFIGURED, steps);
        VfChange change = new VfChange(found.vfIndex().getAsInt(), request.mac(), request.vlan(), 0,
            request.spoofChecking(), request.trusted(), OptionalInt.empty());
        vfControl.apply(found.pfInterface().get(), change);
        done.add("VF " + change.vf() + " on " + found.pfInterface().get() + " set: " + describe(request));
      }
      Optional<GroupStatus> status = Optional.empty();
      if (device.iommuGroup().isPresent()) {
        status = Optional.of(probe(device.iommuGroup().getAsInt()));
        done.add("group " + device.iommuGroup().getAsInt() + " VIABLE, VFIO API " + status.get().apiVersion() + ", type1 IOMMU");
      }
      journal.append(address, Kind.PREPARED, null, Map.of("boundByFerry", Boolean.toString(!alreadyOnVfio)));
      return new PreparedDevice(address, device.iommuGroup(), Optional.ofNullable(node), device.driver(),
          !alreadyOnVfio, status, done);
    } catch (Exception failure) {
      throw rollBack(address, found, saved, steps, done, failure);
    }
  }

  /** Puts back a device ferry prepared: original driver, driver_override, netdev, VF settings. */
  public synchronized ReleasedDevice release(PciAddress address) throws DeviceOperationException {
    try (Journal.Lock held = lockJournal(address)) {
      return releaseLocked(address);
    } catch (IOException e) {
      throw new DeviceOperationException(address, Outcome.NOT_RESTORED,
          "cannot release the journal lock: " + e.getMessage(), List.of(), List.of(), e);
    }
  }

  private ReleasedDevice releaseLocked(PciAddress address) throws DeviceOperationException {
    List<JournalEntry> session;
    try {
      session = journal.latestSessions().get(address);
    } catch (IOException e) {
      throw new DeviceOperationException(address, Outcome.REFUSED, "cannot read the journal " + journal.file() + ": " + e.getMessage(),
          List.of(), List.of(), e);
    }
    if (session == null || last(session).kind() == Kind.RELEASED || last(session).kind() == Kind.ROLLED_BACK) {
      throw DeviceOperationException.refused(address, "ferry holds no preparation of this device (journal "
          + journal.file() + "); it releases only what it prepared");
    }
    if (last(session).kind() != Kind.PREPARED) {
      throw DeviceOperationException.refused(address, "an interrupted operation on this device is in the journal; run recovery first");
    }
    Recorded recorded = Recorded.of(session);
    boolean boundByFerry = Boolean.parseBoolean(last(session).facts().getOrDefault("boundByFerry", "false"));
    List<String> undone = new ArrayList<>();
    try {
      journal.append(address, Kind.RELEASE_BEGIN, null, Map.of());
      restore(address, recorded, undone, true);
      journal.append(address, Kind.RELEASED, null, Map.of());
      return new ReleasedDevice(address, discovery.driver(address), !boundByFerry, undone);
    } catch (Exception e) {
      throw new DeviceOperationException(address, Outcome.NOT_RESTORED, "release failed: " + e.getMessage(),
          List.of("prepared earlier"), undone, e);
    }
  }

  /**
   * Undoes every prepare or release the journal shows as interrupted (a crash between steps):
   * each such device is put back as it was found. Run it when the agent starts.
   */
  public synchronized List<ReleasedDevice> recover() throws DeviceOperationException, IOException {
    try (Journal.Lock held = journal.lock()) {
      return recoverLocked();
    }
  }

  private List<ReleasedDevice> recoverLocked() throws DeviceOperationException, IOException {
    Map<PciAddress, List<JournalEntry>> sessions = journal.latestSessions();
    List<ReleasedDevice> recovered = new ArrayList<>();
    for (Map.Entry<PciAddress, List<JournalEntry>> entry : sessions.entrySet()) {
      Kind lastKind = last(entry.getValue()).kind();
      if (lastKind == Kind.PREPARED || lastKind == Kind.RELEASED || lastKind == Kind.ROLLED_BACK) {
        continue;
      }
      PciAddress address = entry.getKey();
      Recorded recorded = Recorded.of(entry.getValue());
      List<String> undone = new ArrayList<>();
      try {
        restore(address, recorded, undone, lastKind == Kind.RELEASE_BEGIN);
        journal.append(address, lastKind == Kind.RELEASE_BEGIN ? Kind.RELEASED : Kind.ROLLED_BACK, null,
            Map.of("recovered", "true"));
        recovered.add(new ReleasedDevice(address, discovery.driver(address), false, undone));
      } catch (Exception e) {
        throw new DeviceOperationException(address, Outcome.NOT_RESTORED, "recovery failed: " + e.getMessage(),
            recorded.steps().stream().map(Step::name).toList(), undone, e);
      }
    }
    return recovered;
  }

  private Journal.Lock lockJournal(PciAddress address) throws DeviceOperationException {
    try {
      return journal.lock();
    } catch (IOException e) {
      throw new DeviceOperationException(address, Outcome.REFUSED,
          "cannot lock the journal " + journal.file() + ": " + e.getMessage(), List.of(), List.of(), e);
    }
  }

  // ---- checks (no change yet) ----

  private record Checked(PciDevice device, Optional<String> pfInterface) {}

  private Checked check(PrepareRequest request) throws DeviceOperationException {
    PciAddress address = request.address();
    try {
      Map<PciAddress, List<JournalEntry>> sessions = journal.latestSessions();
      List<JournalEntry> session = sessions.get(address);
      if (session != null && last(session).kind() == Kind.PREPARED) {
        throw DeviceOperationException.refused(address, "already prepared by ferry (journal " + journal.file() + "); release it first");
      }
      if (session != null && last(session).kind() != Kind.RELEASED && last(session).kind() != Kind.ROLLED_BACK) {
        throw DeviceOperationException.refused(address, "an interrupted operation on this device is in the journal; run recovery first");
      }
      PciDevice device = discovery.find(address)
          .orElseThrow(() -> DeviceOperationException.refused(address, "no PCI device at this address"));
      if (!device.isEndpoint()) {
        throw DeviceOperationException.refused(address, String.format(
            "is a bridge (class 0x%06x), not an endpoint device", device.pciClass()));
      }
      if (device.iommuGroup().isEmpty()) {
        if (!request.allowNoIommu()) {
          throw DeviceOperationException.refused(address, "has no IOMMU group: the IOMMU is off or absent"
              + " (intel_iommu=on / amd_iommu=on); allow it explicitly to pass it through without DMA isolation");
        }
      } else {
        checkGroupMembers(device);
      }
      Optional<String> pfInterface = Optional.empty();
      if (device.physfn().isPresent()) {
        pfInterface = discovery.netInterfaces(device.physfn().get()).stream().map(NetInterface::name).findFirst();
      }
      if (request.changesVfSettings()) {
        if (!device.isVirtualFunction() || device.vfIndex().isEmpty()) {
          throw DeviceOperationException.refused(address, "is not an SR-IOV VF: MAC/VLAN/spoofchk/trust are set through a PF");
        }
        if (pfInterface.isEmpty()) {
          throw DeviceOperationException.refused(address, "its PF " + device.physfn().get()
              + " has no network interface to set the VF's settings through");
        }
      }
      return new Checked(device, pfInterface);
    } catch (IOException e) {
      throw new DeviceOperationException(address, Outcome.REFUSED, "cannot read its state: " + e.getMessage(),
          List.of(), List.of(), e);
    }
  }

  private void checkGroupMembers(PciDevice device) throws IOException, DeviceOperationException {
    int group = device.iommuGroup().getAsInt();
    for (PciAddress member : device.iommuGroupMembers()) {
      if (member.equals(device.address())) {
        continue;
      }
      Optional<PciDevice> other = discovery.find(member);
      if (other.isEmpty() || other.get().isBridge()) {
        continue;
      }
      Optional<String> driver = other.get().driver();
      if (driver.isPresent() && !ISOLATING_DRIVERS.contains(driver.get())) {
        throw DeviceOperationException.refused(device.address(), "IOMMU group " + group + " is shared with "
            + member + ", which is bound to host driver " + driver.get()
            + "; every other member must be driverless, on vfio-pci or pci-stub, or a bridge");
      }
    }
  }

  // ---- changes ----

  private void ensureVfioDriver(List<String> done) throws IOException {
    String driverDir = DRIVERS + "/" + VFIO_PCI;
    if (sysfs.exists(driverDir)) {
      return;
    }
    modules.load(VFIO_PCI);
    if (!BoundedWait.until(() -> sysfs.exists(driverDir), timeouts.bind(), timeouts.pollInterval())) {
      throw new IOException("module vfio-pci loaded but " + driverDir + " did not appear within "
          + BoundedWait.describe(timeouts.bind()));
    }
    done.add("loaded module vfio-pci (left loaded)");
  }

  private Optional<VfInfo> saveVf(PciAddress address, FoundState found, PrepareRequest request, List<String> done)
      throws IOException {
    String pf = found.pfInterface().get();
    int vf = found.vfIndex().orElseThrow(() -> new IOException("VF index of " + address + " unknown"));
    VfInfo saved;
    try {
      saved = vfControl.read(pf, vf);
    } catch (IOException e) {
      if (request.changesVfSettings()) {
        throw e;
      }
      // Nothing will be changed on the PF, so nothing needs restoring there.
      done.add("VF settings not saved (" + e.getMessage() + "); none will be changed");
      return Optional.empty();
    }
    journal.append(address, Kind.VF_SAVED, null, VfFacts.toFacts(saved));
    done.add("saved VF " + vf + " settings from " + pf);
    return Optional.of(saved);
  }

  private void bind(PciAddress address, PciDevice device, EnumSet<Step> steps, List<String> done) throws IOException {
    step(address, Step.OVERRIDE_SET, steps);
    sysfs.write(address.sysfsPath() + "/driver_override", VFIO_PCI);
    done.add("driver_override set to vfio-pci");
    if (device.driver().isPresent()) {
      step(address, Step.UNBOUND, steps);
      sysfs.write(driverPath(device.driver().get()) + "/unbind", address.toString());
      done.add("unbound from " + device.driver().get());
    }
    step(address, Step.PROBED, steps);
    // drivers_probe honours driver_override; new_id would grab every device with this id.
    sysfs.write("/sys/bus/pci/drivers_probe", address.toString());
    done.add("drivers_probe");
  }

  private String awaitVfio(PciAddress address, OptionalInt group) throws IOException {
    String[] node = new String[1];
    boolean bound = BoundedWait.until(() -> {
      if (!discovery.driver(address).filter(VFIO_PCI::equals).isPresent()) {
        return false;
      }
      node[0] = vfioNode(address, group).orElse(null);
      return node[0] != null || group.isEmpty();
    }, timeouts.bind(), timeouts.pollInterval());
    if (!bound) {
      throw new IOException("binding to vfio-pci did not complete within " + BoundedWait.describe(timeouts.bind())
          + ": driver is " + discovery.driver(address).orElse("(none)")
          + (group.isPresent() ? ", /dev/vfio/" + group.getAsInt() + (sysfs.exists("/dev/vfio/" + group.getAsInt()) ? " present" : " absent") : ""));
    }
    return node[0];
  }

  /** The group node, or the per-device cdev of kernels with vfio-dev. */
  private Optional<String> vfioNode(PciAddress address, OptionalInt group) throws IOException {
    if (group.isPresent() && sysfs.exists("/dev/vfio/" + group.getAsInt())) {
      return Optional.of("/dev/vfio/" + group.getAsInt());
    }
    for (String cdev : sysfs.list(address.sysfsPath() + "/vfio-dev")) {
      if (sysfs.exists("/dev/vfio/devices/" + cdev)) {
        return Optional.of("/dev/vfio/devices/" + cdev);
      }
    }
    return Optional.empty();
  }

  private GroupStatus probe(int group) throws IOException {
    GroupStatus status = groupProbe.probe(group);
    if (!status.viable()) {
      throw new IOException("IOMMU group " + group + " is not VIABLE (VFIO_GROUP_GET_STATUS): a member is"
          + " still on a host driver");
    }
    if (status.apiVersion() != 0) {
      throw new IOException("VFIO API version " + status.apiVersion() + " (expected 0)");
    }
    if (!status.type1Supported()) {
      throw new IOException("VFIO container lacks the type1 IOMMU (VFIO_CHECK_EXTENSION); is vfio_iommu_type1 loaded?");
    }
    return status;
  }

  // ---- undo ----

  private DeviceOperationException rollBack(PciAddress address, FoundState found, Optional<VfInfo> saved,
      EnumSet<Step> steps, List<String> done, Exception failure) {
    List<String> undone = new ArrayList<>();
    String reason = "prepare failed: " + failure.getMessage();
    try {
      restore(address, new Recorded(found, saved, steps), undone, false);
      journal.append(address, Kind.ROLLED_BACK, null, Map.of("reason", String.valueOf(failure.getMessage())));
      // Before the first change to the device (loading a module does not count) it is a refusal.
      Outcome outcome = steps.isEmpty() ? Outcome.REFUSED : Outcome.RESTORED;
      return new DeviceOperationException(address, outcome, reason, done, undone, failure);
    } catch (Exception undoFailure) {
      failure.addSuppressed(undoFailure);
      return new DeviceOperationException(address, Outcome.NOT_RESTORED,
          reason + "; undo failed too: " + undoFailure.getMessage(), done, undone, failure);
    }
  }

  /** What a journal session says about a device: as found, saved VF settings, changes begun. */
  private record Recorded(FoundState found, Optional<VfInfo> savedVf, Set<Step> steps) {
    static Recorded of(List<JournalEntry> session) {
      FoundState found = FoundState.fromFacts(session.get(0).facts());
      Optional<VfInfo> saved = Optional.empty();
      EnumSet<Step> steps = EnumSet.noneOf(Step.class);
      for (JournalEntry e : session) {
        if (e.kind() == Kind.VF_SAVED) {
          saved = Optional.of(VfFacts.fromFacts(e.facts()));
        } else if (e.kind() == Kind.STEP && e.step() != null) {
          steps.add(e.step());
        }
      }
      return new Recorded(found, saved, steps);
    }
  }

  /**
   * Puts back what the recorded steps may have changed, in the order a release does it:
   * driver_override, original driver, its netdev, then the VF settings on the PF. Each part is
   * idempotent, so replaying it after a crash that hit before the change is harmless.
   */
  private void restore(PciAddress address, Recorded recorded, List<String> undone, boolean awaitNetdev)
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

  private void step(PciAddress address, Step step, EnumSet<Step> steps) throws IOException {
    journal.append(address, Kind.STEP, step, Map.of());
    steps.add(step);
  }

  private static String driverPath(String driver) {
    if (!driver.matches("[A-Za-z0-9_.+-]+")) {
      throw new IllegalArgumentException("unexpected driver name: " + driver);
    }
    return DRIVERS + "/" + driver;
  }

  private static String describe(PrepareRequest r) {
    List<String> parts = new ArrayList<>();
    r.mac().ifPresent(m -> parts.add("mac=" + m));
    r.vlan().ifPresent(v -> parts.add("vlan=" + v));
    r.spoofChecking().ifPresent(s -> parts.add("spoofchk=" + (s ? "on" : "off")));
    r.trusted().ifPresent(t -> parts.add("trust=" + (t ? "on" : "off")));
    return String.join(" ", parts);
  }

  private static JournalEntry last(List<JournalEntry> session) {
    return session.get(session.size() - 1);
  }
}
