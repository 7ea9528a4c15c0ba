package io.ferry.vfio;

import io.ferry.vfio.sysfs.SysFs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/** Reads PCI devices from sysfs. Read-only: it never writes anything. */
public final class PciDiscovery {
  static final String DEVICES = "/sys/bus/pci/devices";
  static final String IOMMU_GROUPS = "/sys/kernel/iommu_groups";
  // Compiled once: GET /v1/devices scans every device's directory, and String.matches compiled
  // these anew for each entry (a quarter of the scan's CPU under the daemon's load check).
  private static final Pattern VIRTFN = Pattern.compile("virtfn\\d+");
  private static final Pattern VIRTIO = Pattern.compile("virtio\\d+");

  private final SysFs sysfs;

  public PciDiscovery(SysFs sysfs) {
    this.sysfs = sysfs;
  }

  /** Every PCI device the kernel knows, in address order. */
  public List<PciDevice> list() throws IOException {
    List<PciDevice> devices = new ArrayList<>();
    for (String name : sysfs.list(DEVICES)) {
      Optional<PciDevice> device = find(PciAddress.parse(name));
      device.ifPresent(devices::add);
    }
    devices.sort(Comparator.comparing(PciDevice::address));
    return devices;
  }

  /** The device at that address, or empty when the kernel has none there. */
  public Optional<PciDevice> find(PciAddress address) throws IOException {
    String dir = address.sysfsPath();
    if (!sysfs.exists(dir)) {
      return Optional.empty();
    }
    OptionalInt group = iommuGroup(address);
    List<String> entries = sysfs.list(dir); // listed once, for the VFs and the interfaces
    Optional<PciAddress> physfn = sysfs.linkName(dir + "/physfn").map(PciAddress::parse);
    return Optional.of(
        new PciDevice(
            address,
            hex(dir, "vendor"),
            hex(dir, "device"),
            hex(dir, "class"),
            driver(address),
            driverOverride(address),
            group,
            group.isPresent() ? groupMembers(group.getAsInt()) : List.of(),
            numaNode(dir),
            physfn,
            physfn.isPresent() ? vfIndex(physfn.get(), address) : OptionalInt.empty(),
            virtualFunctions(dir, entries),
            netInterfaces(dir, entries)));
  }

  /** The name of the driver bound to the device, empty when none is. */
  public Optional<String> driver(PciAddress address) throws IOException {
    return sysfs.linkName(address.sysfsPath() + "/driver");
  }

  /** The {@code driver_override} value; the kernel shows an unset one as "(null)". */
  public Optional<String> driverOverride(PciAddress address) throws IOException {
    return sysfs
        .read(address.sysfsPath() + "/driver_override")
        .map(String::strip)
        .filter(v -> !v.isEmpty() && !v.equals("(null)"));
  }

  public OptionalInt iommuGroup(PciAddress address) throws IOException {
    Optional<String> link = sysfs.linkName(address.sysfsPath() + "/iommu_group");
    return link.isPresent() ? OptionalInt.of(Integer.parseInt(link.get())) : OptionalInt.empty();
  }

  public List<PciAddress> groupMembers(int group) throws IOException {
    return sysfs.list(IOMMU_GROUPS + "/" + group + "/devices").stream()
        .map(PciAddress::parse)
        .sorted()
        .toList();
  }

  /** Network interfaces of the device, also those a virtio transport puts one level down. */
  public List<NetInterface> netInterfaces(PciAddress address) throws IOException {
    String dir = address.sysfsPath();
    return netInterfaces(dir, sysfs.list(dir));
  }

  private List<NetInterface> netInterfaces(String dir, List<String> entries) throws IOException {
    List<NetInterface> found = new ArrayList<>(netInterfacesUnder(dir + "/net"));
    for (String entry : entries) {
      if (VIRTIO.matcher(entry).matches()) {
        found.addAll(netInterfacesUnder(dir + "/" + entry + "/net"));
      }
    }
    return found;
  }

  private List<NetInterface> netInterfacesUnder(String netDir) throws IOException {
    List<NetInterface> found = new ArrayList<>();
    for (String name : sysfs.list(netDir)) {
      found.add(new NetInterface(name, sysfs.read(netDir + "/" + name + "/address").orElse("")));
    }
    return found;
  }

  private OptionalInt vfIndex(PciAddress physfn, PciAddress vf) throws IOException {
    String pfDir = physfn.sysfsPath();
    for (String entry : sysfs.list(pfDir)) {
      if (VIRTFN.matcher(entry).matches()
          && sysfs.linkName(pfDir + "/" + entry).filter(vf.toString()::equals).isPresent()) {
        return OptionalInt.of(Integer.parseInt(entry.substring("virtfn".length())));
      }
    }
    return OptionalInt.empty();
  }

  private List<PciAddress> virtualFunctions(String dir, List<String> entries) throws IOException {
    List<String> links =
        entries.stream()
            .filter(e -> VIRTFN.matcher(e).matches())
            .sorted(Comparator.comparingInt(e -> Integer.parseInt(e.substring("virtfn".length()))))
            .toList();
    List<PciAddress> vfs = new ArrayList<>();
    for (String link : links) {
      sysfs.linkName(dir + "/" + link).map(PciAddress::parse).ifPresent(vfs::add);
    }
    return vfs;
  }

  private OptionalInt numaNode(String dir) throws IOException {
    Optional<String> text = sysfs.read(dir + "/numa_node");
    if (text.isEmpty()) {
      return OptionalInt.empty();
    }
    int node = Integer.parseInt(text.get().strip());
    return node < 0 ? OptionalInt.empty() : OptionalInt.of(node);
  }

  private int hex(String dir, String attribute) throws IOException {
    String text =
        sysfs
            .read(dir + "/" + attribute)
            .orElseThrow(() -> new IOException(dir + "/" + attribute + " is missing"))
            .strip();
    if (!text.startsWith("0x")) {
      throw new IOException(dir + "/" + attribute + " is not hex: " + text);
    }
    return Integer.parseUnsignedInt(text.substring(2), 16);
  }
}
