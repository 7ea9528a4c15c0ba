package io.ferry.agent.migration;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.Side;
import io.ferry.agent.plan.CommitPolicy;
import io.ferry.agent.plan.DevicePolicy;
import io.ferry.agent.plan.Mode;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.MigrationInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
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
  private static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);

  private final RunContext ctx;
  private final List<EventSubscription> taps = new ArrayList<>();
  private volatile boolean committed;
  private volatile MigrationInfo completedInfo;
  private boolean started;
  private volatile boolean ended;
  private Phase failedPhase;
  private final Map<String, CompletableFuture<QmpEvent>> failoverNegotiated = new LinkedHashMap<>();

  MigrationRun(RunContext ctx) {
    this.ctx = ctx;
  }

  CompletableFuture<MigrationOutcome> start() {
    enter(Phase.PREFLIGHT);
    return connect()
        .thenCompose(v -> new Preflight(ctx).run())
        .thenCompose(v -> forward())
        .thenCompose(this::withFinalFigures)
        .exceptionallyCompose(this::afterFailure)
        .thenApply(this::finish);
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

  private CompletableFuture<Void> connect() {
    CompletableFuture<QmpClient> source = QmpClient.connect(ctx.plan.source().qmp());
    CompletableFuture<Void> destination = ctx.destination.open();
    CompletableFuture<Void> both =
        source.thenCombine(
            destination,
            (src, dst) -> {
              ctx.source = src;
              taps.add(QemuEventTap.attach(ctx, Side.SOURCE, src));
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

  private CompletableFuture<MigrationOutcome.Draft> forward() {
    if (ctx.cancelRequested.isDone()) {
      // PREFLIGHT's reads are not cancellable, so a cancel may be waiting here: honour it before
      // the first change (a device_del sent now could not be withdrawn by the rollback).
      return CompletableFuture.failedFuture(new MigrationCancelledException(Phase.PREFLIGHT.name()));
    }
    enter(Phase.UNPLUG);
    if (ctx.plan.mode() == Mode.FAILOVER) {
      registerFailoverNegotiation();
      // UNPLUG lasts from migrate to the source's "active": QEMU's wait-unplug.
      return new MigrateStream(ctx, () -> enter(Phase.MIGRATE))
          .run()
          .thenCompose(this::commitFailover);
    }
    return new Unplug(ctx)
        .run()
        .thenCompose(
            v -> {
              enter(Phase.MIGRATE);
              return new MigrateStream(ctx, () -> {}).run();
            })
        .thenCompose(
            info -> {
              completedInfo = info;
              return ctx.plan.commit() == CommitPolicy.AFTER_REPLUG
                  ? replugThenCommit()
                  : commitThenReplug();
            });
  }

  /** The safe order: plug into the paused destination, and commit only if nothing vital failed. */
  private CompletableFuture<MigrationOutcome.Draft> replugThenCommit() {
    enter(Phase.REPLUG);
    return ctx.destination
        .plug(destinationDevices(), ctx.plan.timeouts().replug(), true)
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
            resumedAt -> {
              enter(Phase.REPLUG);
              return ctx.destination.plug(destinationDevices(), ctx.plan.timeouts().replug(), false);
            })
        .thenApply(
            results -> {
              results.stream()
                  .filter(PlugResult::plugged)
                  .forEach(r -> ctx.timeline.deviceBack(r.device(), r.repliedAtEpochMicros()));
              return degradedOrSucceeded(results);
            });
  }

  private CompletableFuture<MigrationOutcome.Draft> commitFailover(MigrationInfo info) {
    completedInfo = info;
    return commit()
        .thenCompose(
            resumedAt -> {
              enter(Phase.REPLUG);
              List<CompletableFuture<PlugResult>> waits = new ArrayList<>();
              failoverNegotiated.forEach(
                  (primary, negotiated) ->
                      waits.add(
                          ctx.withDeadline(
                                  ctx.waitOn(negotiated),
                                  ctx.plan.timeouts().replug(),
                                  "FAILOVER_NEGOTIATED for " + primary)
                              .handle(
                                  (event, error) -> {
                                    if (error != null) {
                                      return PlugResult.failed(primary, Errors.message(error));
                                    }
                                    ctx.timeline.deviceBack(primary, event.timestamp().epochMicros());
                                    return PlugResult.plugged(primary);
                                  })));
              return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
                  .thenApply(v -> degradedOrSucceeded(waits.stream().map(CompletableFuture::join).toList()));
            });
  }

  /** Registered before the migration starts: the destination may negotiate while still paused. */
  private void registerFailoverNegotiation() {
    Duration horizon =
        ctx.plan.timeouts().unplug().plus(ctx.plan.timeouts().migration()).plus(ctx.plan.timeouts().replug()).plus(RESUME_TIMEOUT);
    ctx.plan.devices().forEach(
        device ->
            failoverNegotiated.put(
                device.id(),
                ctx.destination.failoverNegotiated(standbyOf(device.id()), horizon)));
  }

  private String standbyOf(String primary) {
    Object pair = ctx.sourceDevices.get(primary).properties().get("failover_pair_id");
    return pair == null ? "" : pair.toString();
  }

  /**
   * The point of no return: the destination runs the guest. Completes with QEMU's RESUME
   * timestamp (µs), the instant the guest could use the devices plugged before it.
   */
  private CompletableFuture<Long> commit() {
    enter(Phase.COMMIT);
    return ctx.waitOn(ctx.destination.commit(() -> committed = true))
        .thenApply(
            at -> {
              ctx.timeline.destinationResumed(at);
              return at;
            });
  }

  private CompletableFuture<MigrationOutcome.Draft> failBack(String reason) {
    fail(ctx.phase, reason);
    enter(Phase.ROLLBACK);
    return new Rollback(ctx).run(reason);
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
    enter(Phase.ROLLBACK);
    return new Rollback(ctx).run(reason);
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

  private synchronized void enter(Phase next) {
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
   * downtime (those are filled in just after, on the migration thread), so the figures read at
   * completion can be zeros. By the time the VM runs on the destination they are final.
   */
  private CompletableFuture<MigrationOutcome.Draft> withFinalFigures(MigrationOutcome.Draft draft) {
    if (completedInfo == null || ctx.source == null || !ctx.source.isOpen()) {
      return CompletableFuture.completedFuture(draft);
    }
    return ctx.waitOn(ctx.source.queryMigrate())
        .handle(
            (info, error) -> {
              if (info != null && "completed".equals(info.status())) {
                completedInfo = info;
              }
              return draft;
            });
  }

  private MigrationOutcome finish(MigrationOutcome.Draft draft) {
    if (draft.result() == Result.SUCCEEDED || draft.result() == Result.DEGRADED) {
      enter(Phase.CLEANUP);
    }
    ctx.timeline.phaseEnded(ctx.phase);
    if (ctx.phase != failedPhase) {
      ctx.events.phaseCompleted(ctx.phase);
    }
    MigrationFigures figures = figures();
    MigrationOutcome outcome =
        new MigrationOutcome(ctx.plan.id(), draft.result(), draft.reason(), figures, draft.state());
    ctx.events.result(outcome);
    ended = true;
    taps.forEach(EventSubscription::close);
    if (ctx.source != null) {
      ctx.source.close();
    }
    ctx.destination.close();
    return outcome;
  }

  private MigrationFigures figures() {
    MigrationInfo info = completedInfo;
    long overheadUs = Math.max(0, (ctx.timeline.elapsedNs() - ctx.waits.waitedNs()) / 1_000);
    return new MigrationFigures(
        info == null ? null : info.downtimeMs(),
        ctx.timeline.switchoverGapUs(),
        ctx.timeline.deviceAbsenceUs(),
        ctx.timeline.phaseDurationsUs(),
        overheadUs,
        info == null ? null : info.totalTimeMs(),
        info == null ? null : info.setupTimeMs(),
        info == null || info.ram() == null ? null : info.ram().transferred(),
        info == null || info.ram() == null ? null : info.ram().dirtySyncCount());
  }
}
