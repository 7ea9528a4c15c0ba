package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** SHUTDOWN: the VM is shutting down; {@code guest} tells whether the guest asked for it. */
public record ShutdownEvent(boolean guest, String reason, QmpTimestamp timestamp, JsonNode data)
    implements QmpEvent {
  public static final String NAME = "SHUTDOWN";

  @Override
  public String name() {
    return NAME;
  }
}
