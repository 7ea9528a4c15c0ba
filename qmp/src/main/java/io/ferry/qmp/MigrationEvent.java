package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** MIGRATION: the migration changed status (setup, active, completed, failed, wait-unplug...). */
public record MigrationEvent(String status, QmpTimestamp timestamp, JsonNode data)
    implements QmpEvent {
  public static final String NAME = "MIGRATION";

  @Override
  public String name() {
    return NAME;
  }
}
