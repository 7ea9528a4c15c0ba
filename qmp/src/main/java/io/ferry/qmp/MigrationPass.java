package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** MIGRATION_PASS: a RAM dirty-sync pass started. */
public record MigrationPass(long pass, QmpTimestamp timestamp, JsonNode data) implements QmpEvent {
  public static final String NAME = "MIGRATION_PASS";

  @Override
  public String name() {
    return NAME;
  }
}
