package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** STOP: the VM's CPUs stopped. */
public record StopEvent(QmpTimestamp timestamp, JsonNode data) implements QmpEvent {
  public static final String NAME = "STOP";

  @Override
  public String name() {
    return NAME;
  }
}
