package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.MigrationPlan;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A running migration: its plan, its current phase, its outcome to come, and a way to cancel. A
 * recovered one is a migration a restarted daemon took over from its journal and settled.
 */
public final class Migration {
  private final MigrationPlan plan;
  private final Supplier<Phase> phase;
  private final Runnable cancel;
  private final CompletableFuture<MigrationOutcome> outcome;
  private final Supplier<MigrationOutcome> published;
  private final boolean recovered;

  Migration(MigrationPlan plan, MigrationRun run, CompletableFuture<MigrationOutcome> outcome) {
    this(plan, run::phase, run::cancel, outcome, run::published, false);
  }

  /** @param published the outcome as soon as its result event is published (null before) */
  Migration(MigrationPlan plan, Supplier<Phase> phase, Runnable cancel,
      CompletableFuture<MigrationOutcome> outcome, Supplier<MigrationOutcome> published, boolean recovered) {
    this.plan = plan;
    this.phase = phase;
    this.cancel = cancel;
    this.outcome = outcome;
    this.published = published;
    this.recovered = recovered;
  }

  public String id() {
    return plan.id();
  }

  public MigrationPlan plan() {
    return plan;
  }

  public Phase phase() {
    return phase.get();
  }

  /** True if a restarted daemon took this migration over from the journal. */
  public boolean recovered() {
    return recovered;
  }

  /** Completes when the migration has ended, whatever the result; never completes exceptionally. */
  public CompletableFuture<MigrationOutcome> outcome() {
    return outcome;
  }

  /**
   * How it ended, or null while it runs. Known from the moment its result event is published
   * (the {@link #outcome()} future completes a little later, after that event): whoever reads the
   * migration on seeing its result finds it ended.
   */
  public MigrationOutcome ended() {
    MigrationOutcome o = published.get();
    return o != null ? o : outcome.getNow(null);
  }

  /**
   * Asks the migration to stop. Before the commit this rolls back (the VM keeps running on the
   * source with all its devices); after the commit it is too late and is reported as ignored. A
   * recovery is not cancellable: it is already putting things back in order.
   */
  public void cancel() {
    cancel.run();
  }
}
