package io.ferry.agent.migration;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ephemeral device as found on the source before anything changed: its {@code device_add}
 * properties (driver, id, bus and the driver properties worth carrying). Used to plug it back on
 * the source after a rollback and as the default for the destination.
 */
record SourceDevice(String id, Map<String, Object> properties) {
  SourceDevice {
    properties = Map.copyOf(properties);
  }

  /** The same device, sitting on {@code bus} when it has one. */
  SourceDevice onBus(java.util.Optional<String> bus) {
    if (bus.isEmpty()) {
      return this;
    }
    Map<String, Object> props = new LinkedHashMap<>(properties);
    props.put("bus", bus.get());
    return new SourceDevice(id, props);
  }

  /** The {@code device_add} arguments for the destination: the plan's own, or the source's. */
  Map<String, Object> destinationProperties(java.util.Optional<Map<String, Object>> planned) {
    Map<String, Object> props = new LinkedHashMap<>(planned.orElse(properties));
    props.put("id", id);
    return props;
  }
}
