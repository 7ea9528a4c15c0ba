package io.ferry.agent.migration;

import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.Result;
import io.ferry.agent.journal.InFlightMigration;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.agent.peer.PeerClient;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.qmp.QmpRoundTripListener;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts migrations and refuses a second one of the same source while the first runs (two
 * orchestrators on one VM would unplug and migrate it twice). The library entry point.
 */
public final class Migrator {
  private final EventSink events;
  private final QmpRoundTripListener qmpRoundTrips;
  private final MigrationJournal journal;
  private final PeerClient peers;
  private final boolean measureOwnCpu;
  private final Map<Path, String> sourcesInFlight = new ConcurrentHashMap<>();

  /** Without a journal (nothing survives this process), for local destinations only. */
  public Migrator(EventSink events) {
    this(events, MigrationJournal.NONE, QmpRoundTripListener.NONE, null);
  }

  /** Every state change is written to {@code journal} before it is made; local destinations only. */
  public Migrator(EventSink events, MigrationJournal journal) {
    this(events, journal, QmpRoundTripListener.NONE, null);
  }

  /**
   * @param journal every state change is written there before it is made
   * @param qmpRoundTrips told of every QMP command's round trip on the monitors ferry drives (metrics)
   * @param peers the client for plans whose destination names an {@code agent} (mutual TLS), or
   *     null if this migrator has none (such plans are then refused)
   */
  public Migrator(
      EventSink events, MigrationJournal journal, QmpRoundTripListener qmpRoundTrips, PeerClient peers) {
    this(events, journal, qmpRoundTrips, peers, false);
  }

  private Migrator(EventSink events, MigrationJournal journal, QmpRoundTripListener qmpRoundTrips, PeerClient peers,
      boolean measureOwnCpu) {
    this.events = events;
    this.journal = journal;
    this.qmpRoundTrips = qmpRoundTrips;
    this.peers = peers;
    this.measureOwnCpu = measureOwnCpu;
  }

  /**
   * A new migrator with this one's settings (it does not share this one's sources in flight) whose
   * migrations also report {@code ferryCpuUs}: the CPU time ferry's own thread used in the spans
   * counted as its overhead. Each reading of a thread's CPU clock is a system call, about 40 per
   * migration, so it is for benchmarks, not for every migration.
   */
  public Migrator measuringOwnCpu() {
    return new Migrator(events, journal, qmpRoundTrips, peers, true);
  }

  /**
   * Starts {@code plan} at once and returns its handle.
   *
   * @throws MigrationRefusedException if the plan's source is already being migrated
   */
  public Migration start(MigrationPlan plan) {
    if (plan.destination().agent().isPresent() && peers == null) {
      throw new MigrationRefusedException("the plan's destination is a peer agent ("
          + plan.destination().agent().get() + "), but no TLS client is configured to reach it"
          + " (ferry serve --tls-cert, --tls-key, --tls-ca)");
    }
    Path source = claim(plan);
    RunContext ctx =
        new RunContext(
            plan, new RunEvents(plan.id(), events), new RunJournal(plan.id(), journal, 0), qmpRoundTrips,
            measureOwnCpu);
    ctx.destination = destinationOf(ctx);
    MigrationRun run = new MigrationRun(ctx);
    CompletableFuture<MigrationOutcome> outcome;
    try {
      outcome = run.start().exceptionally(error -> internalError(plan, error));
    } catch (RuntimeException e) {
      sourcesInFlight.remove(source, plan.id());
      throw e;
    }
    outcome.whenComplete((o, e) -> sourcesInFlight.remove(source, plan.id()));
    return new Migration(plan, run, outcome);
  }

  /**
   * Takes over a migration the journal shows in flight (its daemon died): works out where each
   * piece really is and finishes the rollback or the commit. See {@link Recovery}.
   *
   * @throws MigrationRefusedException if the plan's source is already being migrated
   */
  public Migration recover(InFlightMigration journaled) {
    MigrationPlan plan = journaled.plan();
    Path source = claim(plan);
    RunContext ctx =
        new RunContext(
            plan,
            new RunEvents(plan.id(), events),
            new RunJournal(plan.id(), journal, journaled.nextSeq()),
            qmpRoundTrips,
            false);
    ctx.destination = destinationOf(ctx);
    CompletableFuture<MigrationOutcome> outcome;
    try {
      outcome = new Recovery(ctx, journaled).run().exceptionally(error -> internalError(plan, error));
    } catch (RuntimeException e) {
      sourcesInFlight.remove(source, plan.id());
      throw e;
    }
    outcome.whenComplete((o, e) -> sourcesInFlight.remove(source, plan.id()));
    return new Migration(plan, () -> ctx.phase, () -> { }, outcome, ctx.events::published, true);
  }

  /**
   * Local or peer, by the plan: the state machine, the rollback and a recovery drive either the
   * same way (a recovery asks a peer where its incoming migration stands: see {@link Recovery}).
   */
  private Destination destinationOf(RunContext ctx) {
    return ctx.plan.destination().agent().isPresent()
        ? new PeerDestination(ctx, peers, ctx.plan.destination().agent().get())
        : new LocalDestination(ctx);
  }

  private Path claim(MigrationPlan plan) {
    Path source = plan.source().qmp().toAbsolutePath().normalize();
    String running = sourcesInFlight.putIfAbsent(source, plan.id());
    if (running != null) {
      throw new MigrationRefusedException(
          "source " + source + " is already being migrated by migration " + running);
    }
    return source;
  }

  /** A bug in ferry itself must still end the migration with a result, never a lost future. */
  private static MigrationOutcome internalError(MigrationPlan plan, Throwable error) {
    return new MigrationOutcome(
        plan.id(),
        Result.FAILED,
        "internal error: " + Errors.message(error),
        null,
        Map.of());
  }
}
