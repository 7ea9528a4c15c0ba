package io.ferry.agent.journal;

import io.ferry.agent.event.MigrationEvent;
import java.util.concurrent.CompletableFuture;

/**
 * Where the orchestrator writes down each state change before it acts on it. A record has the
 * shape of an event (see {@link JournalStep} for what {@code detail.step} says); its {@code seq}
 * numbers the migration's journal records, not its events. Optional: a library user who wants no
 * crash recovery passes {@link #NONE}.
 */
@FunctionalInterface
public interface MigrationJournal {

  /** Keeps nothing; every append is durable at once, trivially. */
  MigrationJournal NONE = record -> CompletableFuture.completedFuture(null);

  /**
   * Appends {@code record}; the future completes once the record is durable (fsynced), and only
   * then may the caller take the action it announces. It fails if the record could not be made
   * durable: the caller must then not act.
   */
  CompletableFuture<Void> append(MigrationEvent record);
}
