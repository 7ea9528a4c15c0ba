package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** DEVICE_DELETED: the guest released a device; {@code device} is its qdev id (null if none). */
public record DeviceDeleted(String device, String path, QmpTimestamp timestamp, JsonNode data)
    implements QmpEvent {
  public static final String NAME = "DEVICE_DELETED";

  @Override
  public String name() {
    return NAME;
  }
}
