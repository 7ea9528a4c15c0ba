package io.ferry.agent.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QomProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Reads what is needed to plug a device again exactly as it was: its driver ({@code type}), the
 * bus it sits on (the root port whose secondary bus holds it, found through {@code query-pci})
 * and the driver properties a passthrough NIC is defined by.
 */
final class SourceDeviceReader {
  /** Properties that define a NIC's identity or backing; others are left to the driver default. */
  static final Set<String> CARRIED_PROPERTIES =
      Set.of("mac", "romfile", "rombar", "host", "sysfsdev", "netdev", "failover_pair_id");

  private final QmpClient qmp;

  SourceDeviceReader(QmpClient qmp) {
    this.qmp = qmp;
  }

  /**
   * The device's driver and carried properties; its bus comes from {@code query-pci} (see
   * {@link #busOf}), which the caller asks for at the same time.
   */
  CompletableFuture<SourceDevice> read(String id) {
    String path = "/machine/peripheral/" + id;
    CompletableFuture<JsonNode> type = qmp.qomGet(path, "type");
    CompletableFuture<List<QomProperty>> listed = qmp.qomList(path);
    return type.thenCombine(listed, (driver, properties) -> new Object[] {driver, properties})
        .thenCompose(
            pair -> {
              @SuppressWarnings("unchecked")
              List<QomProperty> properties = (List<QomProperty>) pair[1];
              Map<String, Object> props = new LinkedHashMap<>();
              props.put("driver", ((JsonNode) pair[0]).asText());
              props.put("id", id);
              List<CompletableFuture<Void>> reads = new ArrayList<>();
              for (QomProperty property : properties) {
                if (CARRIED_PROPERTIES.contains(property.name())) {
                  reads.add(
                      qmp.qomGet(path, property.name())
                          .thenAccept(value -> putScalar(props, property.name(), value)));
                }
              }
              return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                  .thenApply(done -> new SourceDevice(id, props));
            });
  }

  /** The id of the bridge or root port whose secondary bus carries the device, if it has one. */
  static Optional<String> busOf(String id, List<PciDeviceInfo> pci) {
    Optional<PciDeviceInfo> device = pci.stream().filter(d -> id.equals(d.qdevId())).findFirst();
    if (device.isEmpty() || device.get().bus() == 0) {
      return Optional.empty();
    }
    int bus = device.get().bus();
    return pci.stream()
        .filter(d -> d.secondaryBus() != null && d.secondaryBus() == bus)
        .map(PciDeviceInfo::qdevId)
        .filter(qdev -> qdev != null && !qdev.isEmpty())
        .findFirst();
  }

  private static synchronized void putScalar(Map<String, Object> props, String name, JsonNode v) {
    if (v == null || v.isNull() || v.isContainerNode()) {
      return;
    }
    if (v.isTextual() && v.asText().isEmpty() && !name.equals("romfile")) {
      return; // unset link or string property: leave it to the default
    }
    props.put(name, v.isNumber() ? v.numberValue() : v.isBoolean() ? v.booleanValue() : v.asText());
  }
}
