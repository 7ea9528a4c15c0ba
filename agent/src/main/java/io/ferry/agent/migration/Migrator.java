package io.ferry.agent.migration;

import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.Result;
import io.ferry.agent.peer.PeerClient;
import io.ferry.agent.plan.MigrationPlan;
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
  private final PeerClient peers;
  private final Map<Path, String> sourcesInFlight = new ConcurrentHashMap<>();

  /** A migrator for local destinations only. */
  public Migrator(EventSink events) {
    this(events, null);
  }

  /**
   * @param peers the client for plans whose destination names an {@code agent} (mutual TLS), or
   *     null if this migrator has none (such plans are then refused)
   */
  public Migrator(EventSink events, PeerClient peers) {
    this.events = events;
    this.peers = peers;
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
    Path source = plan.source().qmp().toAbsolutePath().normalize();
    String running = sourcesInFlight.putIfAbsent(source, plan.id());
    if (running != null) {
      throw new MigrationRefusedException(
          "source " + source + " is already being migrated by migration " + running);
    }
    RunContext ctx = new RunContext(plan, new RunEvents(plan.id(), events));
    ctx.destination = plan.destination().agent().isPresent()
        ? new PeerDestination(ctx, peers, plan.destination().agent().get())
        : new LocalDestination(ctx);
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
