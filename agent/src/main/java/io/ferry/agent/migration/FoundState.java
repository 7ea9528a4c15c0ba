package io.ferry.agent.migration;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a restarted daemon finds on one QEMU: {@code query-status}, {@code query-migrate}'s
 * status and the qdev ids {@code query-pci} lists. All null when the monitor did not answer.
 */
record FoundState(String status, String migration, List<String> pciIds) {

  static final FoundState UNREACHABLE = new FoundState(null, null, null);

  boolean reachable() {
    return status != null;
  }

  boolean has(String device) {
    return pciIds != null && pciIds.contains(device);
  }

  Map<String, Object> toDetail() {
    Map<String, Object> out = new LinkedHashMap<>();
    if (!reachable()) {
      out.put("status", "unreachable");
      return out;
    }
    out.put("status", status);
    out.put("migration", migration == null ? "none" : migration);
    out.put("devices", pciIds);
    return out;
  }
}
