package io.ferry.vfio.fake;

import io.ferry.vfio.GroupProbe;
import io.ferry.vfio.GroupStatus;
import io.ferry.vfio.ModuleLoader;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.VfControl;
import io.ferry.vfio.netlink.VfChange;
import io.ferry.vfio.netlink.VfInfo;
import io.ferry.vfio.sysfs.RootedSysFs;
import io.ferry.vfio.sysfs.SysFs;
import io.ferry.vfio.sysfs.SysFsWriteException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake Linux kernel over a temporary directory: it builds the sysfs tree ferry reads (devices,
 * drivers, IOMMU groups, SR-IOV links, /dev/vfio) and reacts to writes the way the PCI core does:
 * unbind removes the driver link, drivers_probe honours driver_override and otherwise matches id
 * tables, binding vfio-pci creates /dev/vfio/N. Errno injection, bind delays and crashes after a
 * chosen write let tests drive every failure path. It also plays modprobe, the PF's rtnetlink and
 * the VFIO group ioctls.
 */
public final class FakeKernel implements SysFs, ModuleLoader, VfControl, GroupProbe, AutoCloseable {
  /** A bind delay that never ends: the driver link never appears. */
  public static final Duration NEVER = Duration.ofDays(365);

  private static final Pattern OVERRIDE = Pattern.compile("/sys/bus/pci/devices/([^/]+)/driver_override");
  private static final Pattern DRIVER_ACTION = Pattern.compile("/sys/bus/pci/drivers/([^/]+)/(bind|unbind)");
  private static final String PROBE = "/sys/bus/pci/drivers_probe";

  private final RootedSysFs fs;
  private final Path root;
  private final Map<String, Set<String>> idTables = new HashMap<>();
  private final Set<String> netDrivers = new HashSet<>();
  private final Map<String, Integer> deviceIds = new HashMap<>();
  private final Map<String, String> vendorDevice = new HashMap<>();
  private final Map<String, String> netNames = new HashMap<>();
  private final Map<String, Integer> groups = new HashMap<>();
  private final Map<String, Duration> bindDelays = new HashMap<>();
  private final Map<String, String> injectedErrno = new HashMap<>();
  private final Map<String, Map<Integer, VfInfo>> vfSettings = new HashMap<>();
  private final List<String> rtnetlinkLog = new ArrayList<>();
  private final List<String> writeLog = new ArrayList<>();
  private final Set<Integer> nonViable = new HashSet<>();
  private final Set<Integer> groupsInUse = new HashSet<>();
  private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fake-kernel");
    t.setDaemon(true);
    return t;
  });
  private boolean vfioPciModuleAvailable = true;
  private int modprobeCalls;
  private String crashAfter;
  private boolean crashAfterVfChange;
  private java.util.function.Consumer<String> beforeWrite = path -> {};

  public FakeKernel(Path root) {
    this.root = root;
    this.fs = new RootedSysFs(root);
    mkdirs("/sys/bus/pci/devices");
    mkdirs("/sys/bus/pci/drivers");
    mkdirs("/sys/kernel/iommu_groups");
    mkdirs("/dev/vfio");
    file("/sys/bus/pci/drivers_probe", "");
    file("/dev/vfio/vfio", "");
  }

  // ---------------------------------------------------------------- building the tree

  /** A driver whose id table matches {@code vendor:device} pairs like "8086:10ca". */
  public FakeKernel driver(String name, String... ids) {
    mkdirs(driverDir(name));
    file(driverDir(name) + "/bind", "");
    file(driverDir(name) + "/unbind", "");
    idTables.put(name, new HashSet<>(List.of(ids)));
    return this;
  }

  /** A network driver: binding it creates the device's netdev, unbinding removes it. */
  public FakeKernel netDriver(String name, String... ids) {
    netDrivers.add(name);
    return driver(name, ids);
  }

  /** vfio-pci, loaded (present) from the start; without this call only modprobe brings it. */
  public FakeKernel vfioPciLoaded() {
    return driver("vfio-pci");
  }

  public FakeKernel vfioPciModuleAvailable(boolean available) {
    this.vfioPciModuleAvailable = available;
    return this;
  }

  /** A device; {@code group} null for none, {@code driver} null for driverless, {@code netdev} its interface. */
  public synchronized PciAddress device(String bdf, String ids, int pciClass, Integer group, String driver, String netdev) {
    PciAddress address = PciAddress.parse(bdf);
    String dir = address.sysfsPath();
    mkdirs(dir);
    String[] vd = ids.split(":");
    file(dir + "/vendor", "0x" + vd[0] + "\n");
    file(dir + "/device", "0x" + vd[1] + "\n");
    file(dir + "/class", String.format("0x%06x\n", pciClass));
    file(dir + "/numa_node", "0\n");
    file(dir + "/driver_override", "(null)\n");
    vendorDevice.put(bdf, ids);
    if (netdev != null) {
      netNames.put(bdf, netdev);
    }
    if (group != null) {
      groups.put(bdf, group);
      mkdirs("/sys/kernel/iommu_groups/" + group + "/devices");
      link(dir + "/iommu_group", "/sys/kernel/iommu_groups/" + group);
      link("/sys/kernel/iommu_groups/" + group + "/devices/" + bdf, dir);
    }
    if (driver != null) {
      attach(bdf, driver);
    }
    return address;
  }

  /** Makes {@code vfs} SR-IOV virtual functions of {@code pf} (virtfnN / physfn links). */
  public synchronized FakeKernel sriov(String pf, String... vfs) {
    for (int i = 0; i < vfs.length; i++) {
      link(PciAddress.parse(pf).sysfsPath() + "/virtfn" + i, PciAddress.parse(vfs[i]).sysfsPath());
      link(PciAddress.parse(vfs[i]).sysfsPath() + "/physfn", PciAddress.parse(pf).sysfsPath());
    }
    return this;
  }

  /** The VF settings the PF's driver reports (rtnetlink) for {@code pfInterface}. */
  public synchronized FakeKernel vfSettings(String pfInterface, VfInfo settings) {
    vfSettings.computeIfAbsent(pfInterface, k -> new TreeMap<>()).put(settings.vf(), settings);
    return this;
  }

  // ---------------------------------------------------------------- failure injection

  /** The next write to {@code path} fails with {@code errno} (EBUSY, ENODEV, EACCES...). */
  public synchronized FakeKernel failNextWrite(String path, String errno) {
    injectedErrno.put(path, errno);
    return this;
  }

  /** The driver link appears only {@code delay} after the bind ({@link #NEVER}: it never does). */
  public synchronized FakeKernel bindDelay(String driver, Duration delay) {
    bindDelays.put(driver, delay);
    return this;
  }

  /** Right after the next write to {@code path} takes effect, the caller "crashes". */
  public synchronized FakeKernel crashAfterWriting(String path) {
    this.crashAfter = path;
    return this;
  }

  /** Called with the path of every write (and "RTM_SETLINK") before the kernel acts on it. */
  public synchronized FakeKernel beforeEachChange(java.util.function.Consumer<String> observer) {
    this.beforeWrite = observer;
    return this;
  }

  /** Right after the next RTM_SETLINK on a PF takes effect, the caller "crashes". */
  public synchronized FakeKernel crashAfterNextVfChange() {
    this.crashAfterVfChange = true;
    return this;
  }

  /** VFIO_GROUP_GET_STATUS will not report VIABLE for this group. */
  public synchronized FakeKernel groupNotViable(int group) {
    nonViable.add(group);
    return this;
  }

  /** Another process (a running QEMU) holds the group open: opening it fails with EBUSY. */
  public synchronized FakeKernel groupInUse(int group) {
    groupsInUse.add(group);
    return this;
  }

  /** That process let go of the group. */
  public synchronized FakeKernel groupReleased(int group) {
    groupsInUse.remove(group);
    return this;
  }

  // ---------------------------------------------------------------- observing

  public int modprobeCalls() {
    return modprobeCalls;
  }

  public synchronized List<String> rtnetlinkLog() {
    return List.copyOf(rtnetlinkLog);
  }

  public synchronized List<String> writeLog() {
    return List.copyOf(writeLog);
  }

  public synchronized VfInfo vf(String pfInterface, int vf) {
    return vfSettings.get(pfInterface).get(vf);
  }

  public Path root() {
    return root;
  }

  // ---------------------------------------------------------------- SysFs

  @Override
  public synchronized boolean exists(String path) {
    return fs.exists(path);
  }

  @Override
  public synchronized Optional<String> read(String path) throws IOException {
    return fs.read(path);
  }

  @Override
  public synchronized Optional<String> linkName(String path) throws IOException {
    return fs.linkName(path);
  }

  @Override
  public synchronized List<String> list(String directory) throws IOException {
    return fs.list(directory);
  }

  @Override
  public synchronized void write(String path, String value) throws SysFsWriteException {
    beforeWrite.accept(path);
    writeLog.add(path + " <- " + value.strip());
    String errno = injectedErrno.remove(path);
    if (errno != null) {
      throw new SysFsWriteException(path, value, Optional.of(errno), "injected by the fake kernel");
    }
    Matcher override = OVERRIDE.matcher(path);
    Matcher action = DRIVER_ACTION.matcher(path);
    if (override.matches() && fs.exists(path)) {
      String v = value.strip();
      file(path, (v.isEmpty() ? "(null)" : v) + "\n");
    } else if (action.matches() && fs.exists(driverDir(action.group(1)))) {
      String driver = action.group(1);
      String bdf = value.strip();
      if (!vendorDevice.containsKey(bdf)) {
        throw errno(path, value, "ENODEV");
      }
      Optional<String> current = currentDriver(bdf);
      if (action.group(2).equals("unbind")) {
        if (!current.equals(Optional.of(driver))) {
          throw errno(path, value, "ENODEV");
        }
        detach(bdf);
      } else {
        if (current.isPresent()) {
          throw errno(path, value, "EBUSY");
        }
        if (!matches(bdf, driver)) {
          throw errno(path, value, "ENODEV");
        }
        bindSoon(bdf, driver);
      }
    } else if (path.equals(PROBE)) {
      String bdf = value.strip();
      if (!vendorDevice.containsKey(bdf)) {
        throw errno(path, value, "ENODEV");
      }
      if (currentDriver(bdf).isEmpty()) {
        idTables.keySet().stream().sorted().filter(d -> fs.exists(driverDir(d)) && matches(bdf, d)).findFirst()
            .ifPresent(d -> bindSoon(bdf, d));
      }
    } else {
      throw errno(path, value, "EACCES");
    }
    if (path.equals(crashAfter)) {
      crashAfter = null;
      throw new SimulatedCrash(path);
    }
  }

  // ---------------------------------------------------------------- ModuleLoader, VfControl, GroupProbe

  @Override
  public synchronized void load(String module) throws IOException {
    modprobeCalls++;
    if (!module.equals("vfio-pci") || !vfioPciModuleAvailable) {
      throw new IOException("modprobe: FATAL: Module " + module + " not found in directory /lib/modules/6.1.0-fake");
    }
    driver("vfio-pci");
  }

  @Override
  public synchronized VfInfo read(String pfInterface, int vf) throws IOException {
    rtnetlinkLog.add("GETLINK " + pfInterface);
    Map<Integer, VfInfo> vfs = vfSettings.get(pfInterface);
    if (vfs == null || !vfs.containsKey(vf)) {
      throw new IOException("RTM_GETLINK " + pfInterface + ": no VF " + vf);
    }
    return vfs.get(vf);
  }

  @Override
  public synchronized void apply(String pfInterface, VfChange change) throws IOException {
    beforeWrite.accept("RTM_SETLINK");
    rtnetlinkLog.add("SETLINK " + pfInterface + " " + change);
    VfInfo old = read(pfInterface, change.vf());
    vfSettings.get(pfInterface).put(change.vf(), new VfInfo(
        change.vf(),
        change.mac().orElse(old.mac()),
        change.vlan().orElse(old.vlan()),
        change.vlan().isPresent() ? change.qos() : old.qos(),
        change.spoofChecking().or(old::spoofChecking),
        change.trusted().or(old::trusted),
        change.linkState().isPresent() ? change.linkState() : old.linkState()));
    if (crashAfterVfChange) {
      crashAfterVfChange = false;
      throw new SimulatedCrash("RTM_SETLINK " + pfInterface);
    }
  }

  @Override
  public synchronized GroupStatus probe(int group) throws IOException {
    if (!fs.exists("/dev/vfio/" + group)) {
      throw new IOException("open(/dev/vfio/" + group + ") failed: errno 2 (ENOENT)");
    }
    if (groupsInUse.contains(group)) {
      throw new IOException("open(/dev/vfio/" + group + ") failed: errno 16 (EBUSY)");
    }
    boolean viable = !nonViable.contains(group);
    for (String bdf : fs.list("/sys/kernel/iommu_groups/" + group + "/devices")) {
      Optional<String> d = currentDriver(bdf);
      if (d.isPresent() && !d.get().equals("vfio-pci") && !d.get().equals("pci-stub") && !isBridge(bdf)) {
        viable = false;
      }
    }
    return new GroupStatus(viable, 0, true);
  }

  @Override
  public void close() {
    later.shutdownNow();
  }

  // ---------------------------------------------------------------- kernel behaviour

  private boolean matches(String bdf, String driver) {
    String override = readQuietly(PciAddress.parse(bdf).sysfsPath() + "/driver_override").orElse("(null)").strip();
    return override.equals("(null)") ? idTables.getOrDefault(driver, Set.of()).contains(vendorDevice.get(bdf))
        : override.equals(driver);
  }

  private void bindSoon(String bdf, String driver) {
    Duration delay = bindDelays.getOrDefault(driver, Duration.ZERO);
    if (delay.isZero()) {
      attach(bdf, driver);
    } else if (!delay.equals(NEVER)) {
      later.schedule(() -> {
        synchronized (this) {
          if (currentDriver(bdf).isEmpty()) {
            attach(bdf, driver);
          }
        }
      }, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private synchronized void attach(String bdf, String driver) {
    String dir = PciAddress.parse(bdf).sysfsPath();
    link(dir + "/driver", driverDir(driver));
    link(driverDir(driver) + "/" + bdf, dir);
    if (netDrivers.contains(driver) && netNames.containsKey(bdf)) {
      mkdirs(dir + "/net/" + netNames.get(bdf));
      PciAddress a = PciAddress.parse(bdf);
      String mac = String.format("52:54:00:%02x:%02x:%02x", a.bus(), a.device(), a.function());
      file(dir + "/net/" + netNames.get(bdf) + "/address", mac + "\n");
    }
    if (driver.equals("vfio-pci") && groups.containsKey(bdf)) {
      file("/dev/vfio/" + groups.get(bdf), "");
    }
  }

  private void detach(String bdf) {
    String dir = PciAddress.parse(bdf).sysfsPath();
    String driver = currentDriver(bdf).orElseThrow();
    delete(dir + "/driver");
    delete(driverDir(driver) + "/" + bdf);
    if (netNames.containsKey(bdf)) {
      delete(dir + "/net/" + netNames.get(bdf) + "/address");
      delete(dir + "/net/" + netNames.get(bdf));
      delete(dir + "/net");
    }
    if (driver.equals("vfio-pci") && groups.containsKey(bdf)) {
      int group = groups.get(bdf);
      boolean stillHeld = groups.entrySet().stream()
          .anyMatch(e -> e.getValue() == group && currentDriver(e.getKey()).filter("vfio-pci"::equals).isPresent());
      if (!stillHeld) {
        delete("/dev/vfio/" + group);
      }
    }
  }

  private Optional<String> currentDriver(String bdf) {
    try {
      return fs.linkName(PciAddress.parse(bdf).sysfsPath() + "/driver");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean isBridge(String bdf) {
    return readQuietly(PciAddress.parse(bdf).sysfsPath() + "/class").orElse("0x000000").startsWith("0x06");
  }

  private Optional<String> readQuietly(String path) {
    try {
      return fs.read(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SysFsWriteException errno(String path, String value, String errno) {
    return new SysFsWriteException(path, value, Optional.of(errno), "refused by the fake kernel");
  }

  private static String driverDir(String driver) {
    return "/sys/bus/pci/drivers/" + driver;
  }

  private void mkdirs(String path) {
    try {
      Files.createDirectories(fs.resolve(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void file(String path, String content) {
    try {
      Files.writeString(fs.resolve(path), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void link(String path, String target) {
    try {
      Files.deleteIfExists(fs.resolve(path));
      Files.createSymbolicLink(fs.resolve(path), fs.resolve(target));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void delete(String path) {
    try {
      Path p = fs.resolve(path);
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** For assertions: the group a device was given. */
  public OptionalInt groupOf(String bdf) {
    Integer g = groups.get(bdf);
    return g == null ? OptionalInt.empty() : OptionalInt.of(g);
  }
}
