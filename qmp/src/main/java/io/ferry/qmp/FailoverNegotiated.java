package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** FAILOVER_NEGOTIATED: the guest's virtio-net negotiated STANDBY for this standby device. */
public record FailoverNegotiated(String deviceId, QmpTimestamp timestamp, JsonNode data)
    implements QmpEvent {
  public static final String NAME = "FAILOVER_NEGOTIATED";

  @Override
  public String name() {
    return NAME;
  }
}
