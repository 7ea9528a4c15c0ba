package io.ferry.agent.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.QmpEvent;
import java.util.Set;
import java.util.function.Predicate;

/** Predicates and field readers over QEMU events, by QMP name and data as QEMU documents them. */
final class QmpEvents {
  private QmpEvents() {}

  /** The qdev id an event is about ({@code device} or {@code device-id}), or null. */
  static String deviceOf(QmpEvent event) {
    JsonNode data = event.data();
    if (data == null) {
      return null;
    }
    JsonNode device = data.has("device") ? data.get("device") : data.get("device-id");
    return device == null || device.isNull() ? null : device.asText();
  }

  static Predicate<QmpEvent> deviceDeleted(String id) {
    return e -> e.name().equals("DEVICE_DELETED") && id.equals(deviceOf(e));
  }

  /** QEMU's FAILOVER_NEGOTIATED names the standby virtio-net by its {@code device-id}. */
  static Predicate<QmpEvent> failoverNegotiated(String standby) {
    return e -> e.name().equals("FAILOVER_NEGOTIATED") && standby.equals(deviceOf(e));
  }

  static Predicate<QmpEvent> named(String name) {
    return e -> e.name().equals(name);
  }

  static Predicate<QmpEvent> migrationStatus(Set<String> statuses) {
    return e -> e.name().equals("MIGRATION") && statuses.contains(migrationStatusOf(e));
  }

  static String migrationStatusOf(QmpEvent event) {
    JsonNode status = event.data() == null ? null : event.data().get("status");
    return status == null ? "" : status.asText();
  }
}
