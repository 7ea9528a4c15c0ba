package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** UNPLUG_PRIMARY: failover asked the guest to unplug the primary device before migrating. */
public record UnplugPrimary(String deviceId, QmpTimestamp timestamp, JsonNode data)
    implements QmpEvent {
  public static final String NAME = "UNPLUG_PRIMARY";

  @Override
  public String name() {
    return NAME;
  }
}
