package io.ferry.agent.migration;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.Side;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.plan.CommitPolicy;
import io.ferry.agent.plan.DevicePolicy;
import io.ferry.agent.plan.Mode;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.MigrationInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpIoThread;
import io.ferry.qmp.QmpOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One migration as a chain of phases: PREFLIGHT → UNPLUG → MIGRATE → REPLUG → COMMIT → CLEANUP,
 * with ROLLBACK from anywhere before COMMIT. Every step is a future completed by QEMU (a reply or
 * an event); nothing here polls or blocks, so all of it can run on the QMP event loop.
 */
final class MigrationRun {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final RunContext ctx;
  private final List<EventSubscription> taps = new ArrayList<>();
  private volatile boolean committed;
  /** QEMU's figures for the completed stream, asked for as soon as the destination resumes. */
  private volatile CompletableFuture<MigrationInfo> finalInfo;
  private CompletableFuture<Void> connection = CompletableFuture.completedFuture(null);
  private volatile MigrationInfo completedInfo;
  private boolean started;
  private volatile boolean ended;
  private Phase failedPhase;

  MigrationRun(RunContext ctx) {
    this.ctx = ctx;
  }

  CompletableFuture<MigrationOutcome> start() {
    // The first record carries the plan: a restarted daemon reconnects to the QEMUs it names.
    // Ordered so that QEMU is kept busy while ferry does its own bookkeeping: the connections are
    // under way while that record is written, and the event taps are attached while the
    // preflight reads are in flight (those reads cause no QEMU event).
    connection = connect();
    return enter(Phase.PREFLIGHT, Map.of("plan", JournalReplay.planDetail(ctx.plan)))
        .thenCompose(v -> connection)
        .thenCompose(
            v -> {
              CompletableFuture<Void> checked = new Preflight(ctx).run();
              attachTaps();
              return checked;
            })
        .thenCompose(v -> journalSourceDevices())
        .thenCompose(v -> forward())
        .thenCompose(this::withFinalFigures)
        .exceptionallyCompose(this::afterFailure)
        .thenCompose(this::journalEnd)
        .thenApply(this::finish);
  }

  /** What a rollback after a crash plugs back on the source: the devices as PREFLIGHT found them. */
  private CompletableFuture<Void> journalSourceDevices() {
    Map<String, Object> devices = new LinkedHashMap<>();
    ctx.sourceDevices.forEach((id, device) -> devices.put(id, device.properties()));
    return ctx.journal.record(Phase.PREFLIGHT, JournalStep.SOURCE_DEVICES, Map.of("devices", devices));
  }

  /**
   * The result record closes the migration in the journal. If it cannot be written the outcome
   * still goes out; the next start then finds the migration open and settles it from QEMU's state.
   */
  private CompletableFuture<MigrationOutcome.Draft> journalEnd(MigrationOutcome.Draft draft) {
    boolean onDestination = draft.result() == Result.SUCCEEDED || draft.result() == Result.DEGRADED;
    CompletableFuture<Void> cleanup = onDestination ? enter(Phase.CLEANUP) : CompletableFuture.completedFuture(null);
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("result", draft.result().name());
    if (draft.reason() != null) {
      detail.put("reason", draft.reason());
    }
    return cleanup
        .thenCompose(v -> ctx.journal.record(Phase.DONE, JournalStep.RESULT, detail))
        .handle((v, error) -> {
          if (error != null) {
            ctx.events.warning(ctx.phase, null, "the journal's result record failed: " + Errors.message(error), Map.of());
          }
          return draft;
        });
  }

  // Not synchronized: callers may cancel from inside an event sink, which runs under the event
  // recorder's lock while this run's own transitions take that lock after this object's.
  void cancel() {
    if (ended) {
      return; // the outcome is out: there is nothing left to cancel
    }
    if (committed) {
      ctx.events.warning(ctx.phase, null, "cancel ignored: the migration is already committed", Map.of());
      return;
    }
    ctx.events.step(ctx.phase, "cancel-requested", Map.of());
    ctx.cancelRequested.complete(null);
  }

  Phase phase() {
    return ctx.phase;
  }

  MigrationOutcome published() {
    return ctx.events.published();
  }

  private CompletableFuture<Void> connect() {
    // Both monitors on one I/O thread (a local destination's too): a reply from one side and the
    // command it triggers on the other are handled by the same thread, with no hand-off between
    // threads on the way. Each client gets the phase's whole bound: the client's own 5 s default
    // cut connections short when many QEMUs start and negotiate at once on a busy host (ferry
    // bench --parallel 16).
    QmpIoThread ioThread = ctx.ioThread;
    QmpOptions options = QmpOptions.defaults().withConnectTimeout(CONNECT_TIMEOUT);
    CompletableFuture<QmpClient> source = QmpClient.connect(ctx.plan.source().qmp(), options, ioThread);
    CompletableFuture<Void> destination = ctx.destination.open(ioThread, options);
    CompletableFuture<Void> both =
        source.thenCombine(
            destination,
            (src, dst) -> {
              ctx.source = src;
              src.observeRoundTrips(ctx.qmpRoundTrips);
              return null;
            });
    return ctx.bounded(ctx.waitOn(both), CONNECT_TIMEOUT, "connecting to both monitors")
        .exceptionally(
            error -> {
              // Whichever side did connect (now or later) is closed: nothing is left open.
              source.thenAccept(QmpClient::close);
              destination.thenRun(ctx.destination::close);
              throw new PhaseFailure(Phase.PREFLIGHT, Errors.message(error), error);
            });
  }

  private synchronized void attachTaps() {
    taps.add(QemuEventTap.attach(ctx, Side.SOURCE, ctx.source));
    ctx.destination.attachEventTap();
  }

  private CompletableFuture<MigrationOutcome.Draft> forward() {
    if (ctx.cancelRequested.isDone()) {
      // PREFLIGHT's reads are not cancellable, so a cancel may be waiting here: honour it before
      // the first change (a device_del sent now could not be withdrawn by the rollback).
      return CompletableFuture.failedFuture(new MigrationCancelledException(Phase.PREFLIGHT.name()));
    }
    if (ctx.plan.mode() == Mode.FAILOVER) {
      // UNPLUG lasts from migrate to the source's "active": QEMU's wait-unplug.
      FailoverPrimaries primaries = new FailoverPrimaries(ctx);
      return enter(Phase.UNPLUG)
          .thenCompose(v -> {
            primaries.watch();
            return new MigrateStream(ctx, () -> enter(Phase.MIGRATE)).run();
          })
          .thenCompose(v -> commitFailover(primaries));
    }
    return enter(Phase.UNPLUG)
        .thenCompose(v -> new Unplug(ctx).run())
        .thenCompose(v -> enter(Phase.MIGRATE))
        .thenCompose(v -> new MigrateStream(ctx, () -> CompletableFuture.completedFuture(null)).run())
        .thenCompose(
            v -> {
              return ctx.plan.commit() == CommitPolicy.AFTER_REPLUG
                  ? replugThenCommit()
                  : commitThenReplug();
            });
  }

  /** The safe order: plug into the paused destination, and commit only if nothing vital failed. */
  private CompletableFuture<MigrationOutcome.Draft> replugThenCommit() {
    return enter(Phase.REPLUG)
        .thenCompose(v -> ctx.destination.plug(destinationDevices(), ctx.plan.timeouts().replug(), true))
        .thenCompose(
            results -> {
              if (ctx.cancelRequested.isDone()) {
                return failBack("cancelled during REPLUG, before the commit");
              }
              List<PlugResult> mandatoryFailed =
                  results.stream()
                      .filter(r -> !r.plugged())
                      .filter(r -> ctx.device(r.device()).policy() == DevicePolicy.MANDATORY)
                      .toList();
              if (!mandatoryFailed.isEmpty()) {
                PlugResult first = mandatoryFailed.get(0);
                return failBack(
                    "mandatory device "
                        + first.device()
                        + " could not be plugged on the destination: "
                        + first.error());
              }
              return commit()
                  .thenApply(
                      resumedAt -> {
                        results.stream()
                            .filter(PlugResult::plugged)
                            .forEach(r -> ctx.timeline.deviceBack(r.device(), resumedAt));
                        return degradedOrSucceeded(results);
                      });
            });
  }

  /** The fast order: run the guest on the destination first; a failed plug leaves it degraded. */
  private CompletableFuture<MigrationOutcome.Draft> commitThenReplug() {
    return commit()
        .thenCompose(
            resumedAt ->
                enter(Phase.REPLUG)
                    .thenCompose(v -> ctx.destination.plug(destinationDevices(), ctx.plan.timeouts().replug(), false)))
        .thenApply(
            results -> {
              results.stream()
                  .filter(PlugResult::plugged)
                  .forEach(r -> ctx.timeline.deviceBack(r.device(), r.repliedAtEpochMicros()));
              return degradedOrSucceeded(results);
            });
  }

  private CompletableFuture<MigrationOutcome.Draft> commitFailover(FailoverPrimaries primaries) {
    return commit()
        .thenCompose(resumedAt -> enter(Phase.REPLUG))
        .thenCompose(entered -> primaries.returned())
        .thenApply(this::degradedOrSucceeded);
  }

  /**
   * The point of no return: the destination runs the guest. Completes with QEMU's RESUME
   * timestamp (µs), the instant the guest could use the devices plugged before it.
   */
  private CompletableFuture<Long> commit() {
    return enter(Phase.COMMIT)
        .thenCompose(v -> Commit.run(ctx, () -> committed = true))
        .thenApply(at -> {
          // QEMU's downtime and total time are final once the destination runs; asked at once,
          // the reply travels while the rest of the commit is done.
          finalInfo = ctx.waitOn(ctx.source.queryMigrate());
          ctx.timeline.destinationResumed(at);
          return at;
        });
  }

  private CompletableFuture<MigrationOutcome.Draft> failBack(String reason) {
    fail(ctx.phase, reason);
    return enter(Phase.ROLLBACK).thenCompose(v -> new Rollback(ctx).run(reason));
  }

  private MigrationOutcome.Draft degradedOrSucceeded(List<PlugResult> results) {
    List<String> missing = results.stream().filter(r -> !r.plugged()).map(r -> r.device() + " (" + r.error() + ")").toList();
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("source", "postmigrate");
    state.put("destination", "running");
    if (missing.isEmpty()) {
      return new MigrationOutcome.Draft(Result.SUCCEEDED, null, state);
    }
    state.put("missingDevices", missing);
    return new MigrationOutcome.Draft(
        Result.DEGRADED,
        "running on the destination without " + String.join(", ", missing),
        state);
  }

  private CompletableFuture<MigrationOutcome.Draft> afterFailure(Throwable error) {
    Throwable cause = Errors.unwrap(error);
    String reason = Errors.message(cause);
    Phase failedIn = cause instanceof PhaseFailure failure ? failure.phase() : ctx.phase;
    fail(failedIn, reason);
    if (committed) {
      Map<String, Object> state = new LinkedHashMap<>();
      state.put("committed", true);
      state.put("failedIn", failedIn.name());
      return CompletableFuture.completedFuture(
          new MigrationOutcome.Draft(Result.FAILED, "after the commit: " + reason, state));
    }
    if (ctx.phase == Phase.PREFLIGHT) {
      // Nothing was changed on the source: nothing to roll back there, and nothing is touched.
      // A peer destination may have been asked to prepare (an answer lost, or a cancel): it is
      // told to abort, which it ignores if it never prepared anything.
      return ctx.destination.discard(false)
          .handle((where, abortError) -> {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("changed", false);
            state.put("destination", abortError == null ? where : "abort failed: " + Errors.message(abortError));
            return new MigrationOutcome.Draft(Result.ROLLED_BACK, reason, state);
          });
    }
    return enter(Phase.ROLLBACK).thenCompose(v -> new Rollback(ctx).run(reason));
  }

  private Map<String, Map<String, Object>> destinationDevices() {
    Map<String, Map<String, Object>> devices = new LinkedHashMap<>();
    ctx.sourceDevices.forEach(
        (id, device) ->
            devices.put(id, device.destinationProperties(ctx.device(id).destinationProperties())));
    return devices;
  }

  private synchronized void fail(Phase phase, String reason) {
    failedPhase = phase;
    ctx.events.phaseFailed(phase, reason);
  }

  private CompletableFuture<Void> enter(Phase next) {
    return enter(next, Map.of());
  }

  /**
   * Journals the phase, then enters it. A rollback is entered even if its record cannot be
   * written: it only puts things back, and a crash during it is settled from QEMU's state.
   */
  private CompletableFuture<Void> enter(Phase next, Map<String, ?> detail) {
    if (started && ctx.phase == next) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> durable = ctx.journal.record(next, JournalStep.PHASE_ENTERED, detail);
    if (next == Phase.ROLLBACK || next == Phase.CLEANUP) {
      durable = durable.exceptionally(error -> {
        ctx.events.warning(ctx.phase, null, "journal: " + Errors.message(error), Map.of());
        return null;
      });
    }
    return durable.thenRun(() -> enterNow(next));
  }

  private synchronized void enterNow(Phase next) {
    Phase previous = ctx.phase;
    if (started && previous == next) {
      return;
    }
    if (started) {
      ctx.timeline.phaseEnded(previous);
      if (previous != failedPhase) {
        ctx.events.phaseCompleted(previous);
      }
    }
    started = true;
    ctx.phase = next;
    ctx.timeline.phaseStarted(next);
    ctx.events.phaseStarted(next);
  }

  /**
   * QEMU sends MIGRATION completed before it has computed the migration's total time and
   * downtime (those are filled in just after, on the migration thread), so they are read once
   * the VM runs on the destination, when they are final.
   */
  private CompletableFuture<MigrationOutcome.Draft> withFinalFigures(MigrationOutcome.Draft draft) {
    CompletableFuture<MigrationInfo> info = finalInfo;
    if (info == null) {
      return CompletableFuture.completedFuture(draft);
    }
    return info.handle(
        (figures, error) -> {
          if (figures != null && "completed".equals(figures.status())) {
            completedInfo = figures;
          }
          return draft;
        });
  }

  private MigrationOutcome finish(MigrationOutcome.Draft draft) {
    ctx.timeline.phaseEnded(ctx.phase);
    if (ctx.phase != failedPhase) {
      ctx.events.phaseCompleted(ctx.phase);
    }
    MigrationFigures figures = RunFigures.of(ctx, completedInfo);
    MigrationOutcome outcome =
        new MigrationOutcome(ctx.plan.id(), draft.result(), draft.reason(), figures, draft.state());
    ctx.events.result(outcome);
    ended = true;
    taps.forEach(EventSubscription::close);
    // The connections may still be under way (the first journal record failed): they are closed
    // whenever they are made, so no monitor is left held by a run that is over.
    connection.whenComplete(
        (v, error) -> {
          if (ctx.source != null) {
            ctx.source.close();
          }
          ctx.destination.close();
        });
    return outcome;
  }
}
