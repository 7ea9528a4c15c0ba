package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.Side;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.plan.Mode;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.VmStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Puts the VM back where it was, running on the source with its devices, from any point before
 * the commit: stops a migration in flight (waiting for QEMU to reach a final state), discards the
 * destination once it has been given the stream, resumes the source if it was stopped, and plugs
 * back every device the guest had released. What it cannot restore it says, and the result is
 * then FAILED with the exact state of each piece.
 */
final class Rollback {
  private static final Duration QEMU_SETTLE = Duration.ofSeconds(30);

  private final RunContext ctx;
  private final Replug replug;
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Object> state = new LinkedHashMap<>();

  Rollback(RunContext ctx) {
    this.ctx = ctx;
    this.replug = new Replug(ctx);
  }

  CompletableFuture<MigrationOutcome.Draft> run(String reason) {
    // Each step runs even if an earlier one failed: a half rollback is worse than a full one.
    return attempt(this::stopMigration)
        .thenCompose(v -> attempt(this::discardDestination))
        .thenCompose(v -> attempt(this::resumeSource))
        .thenCompose(v -> attempt(this::replugSource))
        .thenCompose(v -> attempt(this::verifySource))
        .thenApply(
            v -> {
              if (!ctx.unplugPending.isEmpty()) {
                state.put(
                    "unplugStillPending",
                    List.copyOf(ctx.unplugPending));
                state.put(
                    "note",
                    "the guest never answered the unplug request of these devices; QEMU cannot "
                        + "withdraw it, so they stay plugged on the source unless the guest acts on it later");
              }
              if (problems.isEmpty()) {
                return new MigrationOutcome.Draft(Result.ROLLED_BACK, reason, state);
              }
              state.put("rollbackProblems", List.copyOf(problems));
              return new MigrationOutcome.Draft(
                  Result.FAILED, reason + "; the rollback could not finish: " + String.join("; ", problems), state);
            });
  }

  private CompletableFuture<Void> attempt(Supplier<CompletableFuture<Void>> step) {
    CompletableFuture<Void> running;
    try {
      running = step.get();
    } catch (RuntimeException e) {
      running = CompletableFuture.failedFuture(e);
    }
    return running.exceptionally(
        error -> {
          problems.add(Errors.message(error));
          return null;
        });
  }

  private CompletableFuture<Void> stopMigration() {
    if (!ctx.migrationStarted || !ctx.source.isOpen()) {
      return done();
    }
    CompletableFuture<QmpEvent> finalState =
        ctx.source.awaitEvent(QmpEvents.migrationStatus(MigrateStream.SOURCE_FINAL), QEMU_SETTLE);
    return ctx.waitOn(ctx.source.queryMigrate())
        .thenCompose(
            info -> {
              if (info.status() == null || MigrateStream.SOURCE_FINAL.contains(info.status())) {
                state.put("sourceMigration", String.valueOf(info.status()));
                return done();
              }
              ctx.events.step(Phase.ROLLBACK, "migrate_cancel", Map.of("status", info.status()));
              return ctx.waitOn(ctx.source.migrateCancel())
                  .thenCompose(v -> ctx.waitOn(finalState))
                  .thenAccept(
                      event -> state.put("sourceMigration", QmpEvents.migrationStatusOf(event)));
            });
  }

  /**
   * The destination holds (part of) the guest's state, or is ready to, but never ran it: the
   * destination discards it (and journals that it does).
   */
  private CompletableFuture<Void> discardDestination() {
    return ctx.destination.discard(ctx.migrationStarted).thenAccept(where -> state.put("destination", where));
  }

  private CompletableFuture<Void> resumeSource() {
    return ctx.waitOn(ctx.source.queryStatus())
        .thenCompose(
            status -> {
              if (status.running()) {
                state.put("source", "running");
                return done();
              }
              return waitWhileFinishing(status).thenCompose(this::cont);
            });
  }

  /** A source still in finish-migrate/cancelling reaches a settled state through its events. */
  private CompletableFuture<VmStatus> waitWhileFinishing(VmStatus status) {
    if (!Set.of("finish-migrate").contains(status.status())) {
      return CompletableFuture.completedFuture(status);
    }
    CompletableFuture<QmpEvent> settled =
        ctx.source.awaitEvent(QmpEvents.migrationStatus(MigrateStream.SOURCE_FINAL), QEMU_SETTLE);
    return ctx.waitOn(settled).thenCompose(e -> ctx.waitOn(ctx.source.queryStatus()));
  }

  private CompletableFuture<Void> cont(VmStatus status) {
    if (status.running()) {
      state.put("source", "running");
      return done();
    }
    CompletableFuture<QmpEvent> resumed =
        ctx.source.awaitEvent(QmpEvents.named("RESUME"), QEMU_SETTLE);
    return bestEffort(JournalStep.CONT_SOURCE)
        .thenCompose(v -> {
          ctx.events.step(Phase.ROLLBACK, "cont-source", Map.of("status", status.status()));
          return ctx.waitOn(ctx.source.cont());
        })
        .thenCompose(v -> ctx.withDeadline(ctx.waitOn(resumed), QEMU_SETTLE, "the source's RESUME"))
        .thenAccept(e -> state.put("source", "running"));
  }

  private CompletableFuture<Void> replugSource() {
    if (ctx.plan.mode() == Mode.FAILOVER) {
      return done(); // QEMU plugs failover primaries back itself when a migration fails
    }
    Map<String, Map<String, Object>> devices = new LinkedHashMap<>();
    for (String id : ctx.unplugged) {
      devices.put(id, new LinkedHashMap<>(ctx.sourceDevices.get(id).properties()));
    }
    if (devices.isEmpty()) {
      return done();
    }
    return replug
        .plug(Side.SOURCE, ctx.source, devices, ctx.plan.timeouts().replug(), false)
        .thenAccept(
            results -> {
              for (PlugResult result : results) {
                if (result.plugged()) {
                  ctx.unplugged.remove(result.device());
                  ctx.timeline.deviceBack(result.device(), result.repliedAtEpochMicros());
                } else {
                  problems.add("could not plug " + result.device() + " back on the source: " + result.error());
                }
              }
            });
  }

  private CompletableFuture<Void> verifySource() {
    return ctx.waitOn(ctx.source.queryPci())
        .thenAccept(
            pci -> {
              List<String> absent = new ArrayList<>();
              for (String id : ctx.sourceDevices.keySet()) {
                if (pci.stream().map(PciDeviceInfo::qdevId).noneMatch(id::equals)) {
                  absent.add(id);
                }
              }
              state.put("sourceDevicesMissing", absent);
              if (!absent.isEmpty()) {
                problems.add("missing on the source: " + String.join(", ", absent));
              }
            });
  }


  /** A rollback step is journaled, but taken even if the record fails: it only puts things back. */
  private CompletableFuture<Void> bestEffort(JournalStep step) {
    return ctx.journal.record(Phase.ROLLBACK, step, Map.of()).exceptionally(error -> null);
  }

  private static CompletableFuture<Void> done() {
    return CompletableFuture.completedFuture(null);
  }
}
