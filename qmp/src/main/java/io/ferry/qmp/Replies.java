package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns the {@code return} values of typed commands into records. */
final class Replies {
  private Replies() {}

  static VmStatus status(JsonNode r) {
    return new VmStatus(r.path("status").asText(), r.path("running").asBoolean());
  }

  static List<QomProperty> qomList(JsonNode r) {
    List<QomProperty> properties = new ArrayList<>();
    for (JsonNode p : r) {
      properties.add(new QomProperty(p.path("name").asText(), p.path("type").asText()));
    }
    return List.copyOf(properties);
  }

  static List<PciDeviceInfo> pci(JsonNode r) {
    List<PciDeviceInfo> devices = new ArrayList<>();
    for (JsonNode bus : r) {
      addDevices(bus.path("devices"), devices);
    }
    return List.copyOf(devices);
  }

  private static void addDevices(JsonNode list, List<PciDeviceInfo> out) {
    for (JsonNode d : list) {
      JsonNode bridge = d.get("pci_bridge");
      Integer secondary = null;
      if (bridge != null && bridge.path("bus").has("secondary")) {
        secondary = bridge.path("bus").path("secondary").asInt();
      }
      JsonNode classInfo = d.path("class_info");
      JsonNode ids = d.path("id");
      out.add(
          new PciDeviceInfo(
              d.path("bus").asInt(),
              d.path("slot").asInt(),
              d.path("function").asInt(),
              d.path("qdev_id").asText(""),
              classInfo.path("class").asInt(),
              classInfo.hasNonNull("desc") ? classInfo.get("desc").asText() : null,
              ids.path("vendor").asInt(),
              ids.path("device").asInt(),
              secondary));
      if (bridge != null) {
        addDevices(bridge.path("devices"), out);
      }
    }
  }

  static MigrationInfo migration(JsonNode r) {
    List<String> blocked = new ArrayList<>();
    r.path("blocked-reasons").forEach(b -> blocked.add(b.asText()));
    JsonNode ram = r.get("ram");
    return new MigrationInfo(
        textOrNull(r, "status"),
        longOrNull(r, "total-time"),
        longOrNull(r, "downtime"),
        longOrNull(r, "expected-downtime"),
        longOrNull(r, "setup-time"),
        ram == null ? null : ram(ram),
        blocked,
        textOrNull(r, "error-desc"),
        r);
  }

  private static RamStats ram(JsonNode r) {
    return new RamStats(
        r.path("transferred").asLong(),
        r.path("remaining").asLong(),
        r.path("total").asLong(),
        r.path("duplicate").asLong(),
        r.path("normal").asLong(),
        r.path("dirty-sync-count").asLong(),
        r.path("dirty-pages-rate").asLong(),
        r.path("mbps").asDouble(),
        r.path("page-size").asLong(),
        r.path("postcopy-requests").asLong());
  }

  static Map<String, Boolean> capabilities(JsonNode r) {
    Map<String, Boolean> capabilities = new LinkedHashMap<>();
    for (JsonNode c : r) {
      capabilities.put(c.path("capability").asText(), c.path("state").asBoolean());
    }
    return capabilities;
  }

  static AddFdResult addFd(JsonNode r) {
    return new AddFdResult(r.path("fdset-id").asInt(), r.path("fd").asInt());
  }

  static List<FdSet> fdsets(JsonNode r) {
    List<FdSet> sets = new ArrayList<>();
    for (JsonNode set : r) {
      List<FdSetEntry> fds = new ArrayList<>();
      for (JsonNode fd : set.path("fds")) {
        fds.add(new FdSetEntry(fd.path("fd").asInt(), textOrNull(fd, "opaque")));
      }
      sets.add(new FdSet(set.path("fdset-id").asInt(), fds));
    }
    return List.copyOf(sets);
  }

  private static String textOrNull(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Long longOrNull(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asLong();
  }
}
