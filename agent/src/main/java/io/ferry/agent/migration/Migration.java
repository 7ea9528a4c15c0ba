package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.MigrationPlan;
import java.util.concurrent.CompletableFuture;

/** A running migration: its plan, its current phase, its outcome to come, and a way to cancel. */
public final class Migration {
  private final MigrationPlan plan;
  private final MigrationRun run;
  private final CompletableFuture<MigrationOutcome> outcome;

  Migration(MigrationPlan plan, MigrationRun run, CompletableFuture<MigrationOutcome> outcome) {
    this.plan = plan;
    this.run = run;
    this.outcome = outcome;
  }

  public String id() {
    return plan.id();
  }

  public MigrationPlan plan() {
    return plan;
  }

  public Phase phase() {
    return run.phase();
  }

  /** Completes when the migration has ended, whatever the result; never completes exceptionally. */
  public CompletableFuture<MigrationOutcome> outcome() {
    return outcome;
  }

  /**
   * Asks the migration to stop. Before the commit this rolls back (the VM keeps running on the
   * source with all its devices); after the commit it is too late and is reported as ignored.
   */
  public void cancel() {
    run.cancel();
  }
}
