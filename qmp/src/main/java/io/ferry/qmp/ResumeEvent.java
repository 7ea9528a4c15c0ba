package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** RESUME: the VM's CPUs run again. */
public record ResumeEvent(QmpTimestamp timestamp, JsonNode data) implements QmpEvent {
  public static final String NAME = "RESUME";

  @Override
  public String name() {
    return NAME;
  }
}
