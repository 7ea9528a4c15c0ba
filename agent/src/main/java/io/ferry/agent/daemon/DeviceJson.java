package io.ferry.agent.daemon;

import io.ferry.vfio.NetInterface;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PciDevice;
import io.ferry.vfio.PreparedDevice;
import io.ferry.vfio.ReleasedDevice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON objects of devices: shared by {@code ferry devices --json} and the daemon's device
 * endpoints, so a client sees the same fields either way.
 */
public final class DeviceJson {
  private DeviceJson() {}

  /** One device as listed by {@code GET /v1/devices}. */
  public static Map<String, Object> device(PciDevice d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("address", d.address().toString());
    m.put("vendor", String.format("0x%04x", d.vendor()));
    m.put("device", String.format("0x%04x", d.device()));
    m.put("class", String.format("0x%06x", d.pciClass()));
    m.put("driver", d.driver().orElse(null));
    m.put("driverOverride", d.driverOverride().orElse(null));
    m.put("iommuGroup", d.iommuGroup().isPresent() ? d.iommuGroup().getAsInt() : null);
    m.put("iommuGroupMembers", d.iommuGroupMembers().stream().map(PciAddress::toString).toList());
    m.put("numaNode", d.numaNode().isPresent() ? d.numaNode().getAsInt() : null);
    m.put("physfn", d.physfn().map(PciAddress::toString).orElse(null));
    m.put("vfIndex", d.vfIndex().isPresent() ? d.vfIndex().getAsInt() : null);
    m.put("virtualFunctions", d.virtualFunctions().stream().map(PciAddress::toString).toList());
    List<Map<String, String>> nets = new ArrayList<>();
    for (NetInterface n : d.netInterfaces()) {
      nets.add(Map.of("name", n.name(), "mac", n.mac()));
    }
    m.put("netInterfaces", nets);
    return m;
  }

  /** The answer of {@code POST /v1/devices/{bdf}/prepare}. */
  public static Map<String, Object> prepared(PreparedDevice p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("address", p.address().toString());
    m.put("driver", "vfio-pci");
    m.put("iommuGroup", p.iommuGroup().isPresent() ? p.iommuGroup().getAsInt() : null);
    m.put("vfioDevice", p.vfioDevice().orElse(null));
    m.put("originalDriver", p.originalDriver().orElse(null));
    m.put("boundByFerry", p.boundByFerry());
    m.put("groupStatus", p.groupStatus().map(g -> Map.of(
        "viable", g.viable(), "apiVersion", g.apiVersion(), "type1", g.type1Supported())).orElse(null));
    m.put("steps", p.steps());
    return m;
  }

  /** The answer of {@code POST /v1/devices/{bdf}/release}. */
  public static Map<String, Object> released(ReleasedDevice r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("address", r.address().toString());
    m.put("driver", r.driver().orElse(null));
    m.put("leftOnVfio", r.leftOnVfio());
    m.put("steps", r.steps());
    return m;
  }
}
