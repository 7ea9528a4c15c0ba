package io.ferry.agent.journal;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.MigrationPlan;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Journal records as the orchestrator writes them, for the journal's tests. */
final class Records {
  private Records() {}

  static MigrationPlan plan(String id) {
    return MigrationPlan.builder()
        .id(id)
        .source(java.nio.file.Path.of("/run/" + id + "/src.qmp"))
        .destination(java.nio.file.Path.of("/run/" + id + "/dst.qmp"))
        .uri("unix:/run/" + id + "/mig.sock")
        .device("hostnet1")
        .build();
  }

  static MigrationEvent record(String id, long seq, Phase phase, JournalStep step, String device, Map<String, ?> detail) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("step", step.wireName());
    d.putAll(detail);
    return new MigrationEvent(id, seq, step == JournalStep.RESULT ? Phase.DONE : phase,
        step == JournalStep.RESULT ? EventKind.RESULT : EventKind.STARTED, Optional.ofNullable(device),
        Instant.parse("2026-11-27T02:00:00Z").plusMillis(seq), 1000 + seq, Optional.empty(), d);
  }

  static MigrationEvent entered(String id, long seq, Phase phase) {
    Map<String, Object> detail = phase == Phase.PREFLIGHT ? Map.of("plan", JournalReplay.planDetail(plan(id))) : Map.of();
    return record(id, seq, phase, JournalStep.PHASE_ENTERED, null, detail);
  }
}
