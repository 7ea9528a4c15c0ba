package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code query-migrate}. {@code status} is null when no migration ever ran; figures QEMU did not
 * report are null; {@code raw} is QEMU's full answer for anything not modelled here.
 */
public record MigrationInfo(
    String status,
    Long totalTimeMs,
    Long downtimeMs,
    Long expectedDowntimeMs,
    Long setupTimeMs,
    RamStats ram,
    List<String> blockedReasons,
    String errorDesc,
    JsonNode raw) {
  public MigrationInfo {
    blockedReasons = List.copyOf(blockedReasons);
  }
}
