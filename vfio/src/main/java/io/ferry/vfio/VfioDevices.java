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
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands PCI devices to vfio-pci and takes them back: the vfio module's facade. Every change is
 * journaled first; a failure midway puts the device back as it was found. The calls block on
 * sysfs and ioctls: call them off any event loop (the {@code *Async} variants take an executor).
 */
public final class VfioDevices {
  public static final String VFIO_PCI = "vfio-pci";
  private static final String DRIVERS = "/sys/bus/pci/drivers";

  private final SysFs sysfs;
  private final PciDiscovery discovery;
  private final ModuleLoader modules;
  private final VfControl vfControl;
  private final GroupProbe groupProbe;
  private final Journal journal;
  private final VfioTimeouts timeouts;
  private final PrepareChecks checks;
  private final DeviceRestorer restorer;
  private final VfioReadiness readiness;
  private final AtomicLong bindingChanges = new AtomicLong();

  public VfioDevices(
      SysFs sysfs, ModuleLoader modules, VfControl vfControl, GroupProbe groupProbe, Journal journal, VfioTimeouts timeouts) {
    this.sysfs = sysfs;
    this.discovery = new PciDiscovery(sysfs);
    this.modules = modules;
    this.vfControl = vfControl;
    this.groupProbe = groupProbe;
    this.journal = journal;
    this.timeouts = timeouts;
    this.checks = new PrepareChecks(discovery, journal);
    this.restorer = new DeviceRestorer(sysfs, discovery, vfControl, timeouts);
    this.readiness = new VfioReadiness(sysfs, discovery, groupProbe, timeouts);
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
    } finally {
      bindingChanges.incrementAndGet();
    }
  }

  private PreparedDevice prepareLocked(PrepareRequest request) throws DeviceOperationException {
    PciAddress address = request.address();
    PrepareChecks.Checked checked = checks.check(request);
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
      String node = readiness.awaitVfio(address, device.iommuGroup());
      if (request.changesVfSettings()) {
        step(address, Step.VF_CONFIGURED, steps);
        VfChange change = new VfChange(found.vfIndex().getAsInt(), request.mac(), request.vlan(), 0,
            request.spoofChecking(), request.trusted(), OptionalInt.empty());
        vfControl.apply(found.pfInterface().get(), change);
        done.add("VF " + change.vf() + " on " + found.pfInterface().get() + " set: " + describe(request));
      }
      Optional<GroupStatus> status = Optional.empty();
      if (device.iommuGroup().isPresent()) {
        status = Optional.of(readiness.probe(device.iommuGroup().getAsInt()));
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
    } finally {
      bindingChanges.incrementAndGet();
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
    RecordedSession recorded = RecordedSession.of(session);
    boolean boundByFerry = Boolean.parseBoolean(last(session).facts().getOrDefault("boundByFerry", "false"));
    if (boundByFerry) {
      refuseWhileInUse(address);
    }
    List<String> undone = new ArrayList<>();
    try {
      journal.append(address, Kind.RELEASE_BEGIN, null, Map.of());
      restorer.restore(address, recorded, undone, true);
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
    } finally {
      bindingChanges.incrementAndGet();
    }
  }

  /**
   * How many prepare, release and recover calls have ended (succeeded or not) on this instance:
   * a reader that keeps a scan of {@link #list()} compares it to know its scan may be out of date.
   */
  public long bindingChanges() {
    return bindingChanges.get();
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
      RecordedSession recorded = RecordedSession.of(entry.getValue());
      List<String> undone = new ArrayList<>();
      try {
        restorer.restore(address, recorded, undone, lastKind == Kind.RELEASE_BEGIN);
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

  /**
   * Unbinding vfio-pci from a device a VM still holds blocks in the kernel until the VM lets go,
   * so a release first checks that nobody has the group open: only one opener is allowed, and a
   * busy group answers EBUSY.
   */
  private void refuseWhileInUse(PciAddress address) throws DeviceOperationException {
    try {
      OptionalInt group = discovery.iommuGroup(address);
      if (group.isPresent() && discovery.driver(address).filter(VFIO_PCI::equals).isPresent()
          && sysfs.exists("/dev/vfio/" + group.getAsInt())) {
        groupProbe.probe(group.getAsInt());
      }
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("EBUSY")) {
        throw DeviceOperationException.refused(address, "its IOMMU group is in use (a VM still holds it: "
            + e.getMessage() + "); remove it from the VM first");
      }
      // Any other probe failure says nothing about users; the release itself will tell.
    }
  }

  private Journal.Lock lockJournal(PciAddress address) throws DeviceOperationException {
    try {
      return journal.lock();
    } catch (IOException e) {
      throw new DeviceOperationException(address, Outcome.REFUSED,
          "cannot lock the journal " + journal.file() + ": " + e.getMessage(), List.of(), List.of(), e);
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
      sysfs.write(DeviceRestorer.driverPath(device.driver().get()) + "/unbind", address.toString());
      done.add("unbound from " + device.driver().get());
    }
    step(address, Step.PROBED, steps);
    // drivers_probe honours driver_override; new_id would grab every device with this id.
    sysfs.write("/sys/bus/pci/drivers_probe", address.toString());
    done.add("drivers_probe");
  }

  // ---- undo ----

  private DeviceOperationException rollBack(PciAddress address, FoundState found, Optional<VfInfo> saved,
      EnumSet<Step> steps, List<String> done, Exception failure) {
    List<String> undone = new ArrayList<>();
    String reason = "prepare failed: " + failure.getMessage();
    try {
      restorer.restore(address, new RecordedSession(found, saved, steps), undone, false);
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

  private void step(PciAddress address, Step step, EnumSet<Step> steps) throws IOException {
    journal.append(address, Kind.STEP, step, Map.of());
    steps.add(step);
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
