package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * An asynchronous message from QEMU. The events ferry acts on are typed; every other event is a
 * {@link GenericEvent}. All keep QEMU's timestamp and the raw {@code data} object.
 */
public sealed interface QmpEvent
    permits DeviceDeleted,
        MigrationEvent,
        MigrationPass,
        StopEvent,
        ResumeEvent,
        ShutdownEvent,
        UnplugPrimary,
        FailoverNegotiated,
        GenericEvent {

  String name();

  QmpTimestamp timestamp();

  /** The event's {@code data} object; an empty object when QEMU sent none. */
  JsonNode data();

  /** Builds the typed event for {@code name}, or a {@link GenericEvent} for names not modelled. */
  static QmpEvent of(String name, QmpTimestamp timestamp, JsonNode data) {
    JsonNode d = data == null || data instanceof NullNode ? EmptyData.INSTANCE : data;
    return switch (name) {
      case DeviceDeleted.NAME -> new DeviceDeleted(text(d, "device"), text(d, "path"), timestamp, d);
      case MigrationEvent.NAME -> new MigrationEvent(text(d, "status"), timestamp, d);
      case MigrationPass.NAME -> new MigrationPass(d.path("pass").asLong(), timestamp, d);
      case StopEvent.NAME -> new StopEvent(timestamp, d);
      case ResumeEvent.NAME -> new ResumeEvent(timestamp, d);
      case ShutdownEvent.NAME ->
          new ShutdownEvent(d.path("guest").asBoolean(), text(d, "reason"), timestamp, d);
      case UnplugPrimary.NAME -> new UnplugPrimary(text(d, "device-id"), timestamp, d);
      case FailoverNegotiated.NAME -> new FailoverNegotiated(text(d, "device-id"), timestamp, d);
      default -> new GenericEvent(name, timestamp, d);
    };
  }

  private static String text(JsonNode data, String field) {
    JsonNode v = data.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
