package io.ferry.agent.migration;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.journal.MigrationJournal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One migration's records in the {@link MigrationJournal}, numbered from its own seq. Every
 * method returns the append's future: the caller acts only once it completes, and a failed append
 * fails the step (ferry never acts on a change it could not write down).
 */
final class RunJournal {
  private final String migrationId;
  private final MigrationJournal journal;
  private final AtomicLong nextSeq;

  RunJournal(String migrationId, MigrationJournal journal, long firstSeq) {
    this.migrationId = migrationId;
    this.journal = journal;
    this.nextSeq = new AtomicLong(firstSeq);
  }

  CompletableFuture<Void> record(Phase phase, JournalStep step, String device, Map<String, ?> detail) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("step", step.wireName());
    d.putAll(detail);
    EventKind kind = switch (step) {
      case RESULT -> EventKind.RESULT;
      case DEVICE_ADDED, COMMITTED, SOURCE_DEVICES -> EventKind.COMPLETED;
      default -> EventKind.STARTED;
    };
    MigrationEvent record = new MigrationEvent(migrationId, nextSeq.getAndIncrement(),
        step == JournalStep.RESULT ? Phase.DONE : phase, kind, Optional.ofNullable(device),
        Instant.now(), System.nanoTime(), Optional.empty(), d);
    try {
      return journal.append(record);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  CompletableFuture<Void> record(Phase phase, JournalStep step, Map<String, ?> detail) {
    return record(phase, step, null, detail);
  }
}
