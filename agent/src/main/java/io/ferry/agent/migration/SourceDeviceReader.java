package io.ferry.agent.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpCommandException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
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
   * {@link #busOf}), which the caller asks for at the same time. Every carried property is asked
   * for directly, all at once, rather than listed first: one round trip instead of two, and QEMU
   * answers a property the driver lacks with a "not found" error, which just means "not set".
   */
  CompletableFuture<SourceDevice> read(String id) {
    String path = "/machine/peripheral/" + id;
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("id", id);
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    reads.add(qmp.qomGet(path, "type").thenAccept(type -> put(props, "driver", type.asText())));
    for (String name : CARRIED_PROPERTIES) {
      reads.add(
          qmp.qomGet(path, name)
              .handle(
                  (value, error) -> {
                    if (error != null && !propertyMissing(error)) {
                      throw new CompletionException(Errors.unwrap(error));
                    }
                    if (error == null) {
                      putScalar(props, name, value);
                    }
                    return null;
                  }));
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(done -> new SourceDevice(id, props));
  }

  /** QEMU's answer to a {@code qom-get} of a property this driver does not have. */
  static boolean propertyMissing(Throwable error) {
    return Errors.unwrap(error) instanceof QmpCommandException qmp
        && "GenericError".equals(qmp.errorClass())
        && qmp.description() != null
        && qmp.description().startsWith("Property '")
        && qmp.description().endsWith("' not found");
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

  private static synchronized void put(Map<String, Object> props, String name, Object value) {
    props.put(name, value);
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
