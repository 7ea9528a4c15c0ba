package io.ferry.agent.migration;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Result;
import java.util.Map;

/**
 * How a migration ended: its result, the reason when it is not SUCCEEDED, the figures, and where
 * every piece is (source, destination, devices) when that is not the obvious place.
 */
public record MigrationOutcome(
    String migrationId,
    Result result,
    String reason,
    MigrationFigures figures,
    Map<String, Object> state) {

  public MigrationOutcome {
    state = Map.copyOf(state);
  }

  /** An outcome before its figures are computed. */
  record Draft(Result result, String reason, Map<String, Object> state) {}
}
