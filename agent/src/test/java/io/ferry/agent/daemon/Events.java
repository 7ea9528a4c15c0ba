package io.ferry.agent.daemon;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** Hand-made events for stream tests (the native test streams a real migration's). */
final class Events {
  private Events() {}

  static MigrationEvent started(String migration, long seq, Phase phase) {
    return new MigrationEvent(migration, seq, phase, EventKind.STARTED, Optional.empty(),
        Instant.now(), System.nanoTime(), Optional.empty(), Map.of());
  }

  static MigrationEvent result(String migration, long seq) {
    return new MigrationEvent(migration, seq, Phase.DONE, EventKind.RESULT, Optional.empty(),
        Instant.now(), System.nanoTime(), Optional.empty(), Map.of("result", "SUCCEEDED"));
  }
}
