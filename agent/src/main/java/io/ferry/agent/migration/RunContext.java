package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.DevicePlan;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpIoThread;
import io.ferry.qmp.QmpRoundTripListener;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/**
 * Everything one migration's phases share: the plan, both monitors, the event recorder, the
 * cancel signal and what has been changed so far (which is what a rollback must undo).
 */
final class RunContext {
  final MigrationPlan plan;
  final RunEvents events;
  final QmpRoundTripListener qmpRoundTrips;
  final RunJournal journal;
  final WaitClock waits;
  final Timeline timeline = new Timeline();
  final CompletableFuture<Void> cancelRequested = new CompletableFuture<>();
  /**
   * The thread both monitors (a local destination's too) live on, and where this run's deadlines
   * and timers fire: a reply and the timer it races are handled by one thread, and arming a timer
   * from it wakes no other thread.
   */
  final QmpIoThread ioThread = QmpIoThread.next();

  QmpClient source;
  /** Set before the run starts: local or peer, the state machine does not care which. */
  Destination destination;
  volatile Phase phase = Phase.PREFLIGHT;

  /** Source devices as found in PREFLIGHT, by id, in plan order. */
  final Map<String, SourceDevice> sourceDevices = new LinkedHashMap<>();
  /** Devices whose unplug the source confirmed (DEVICE_DELETED): a rollback plugs them back. */
  final Set<String> unplugged = ConcurrentHashMap.newKeySet();
  /** Devices with a device_del sent but never confirmed: the guest may still complete it. */
  final Set<String> unplugPending = ConcurrentHashMap.newKeySet();
  /** Whether {@code migrate} was sent (a rollback must cancel it and wait for a final state). */
  volatile boolean migrationStarted;

  RunContext(MigrationPlan plan, RunEvents events, RunJournal journal, QmpRoundTripListener qmpRoundTrips,
      boolean measureOwnCpu) {
    this.waits = new WaitClock(measureOwnCpu);
    this.plan = plan;
    this.events = events;
    this.journal = journal;
    this.qmpRoundTrips = qmpRoundTrips;
  }

  DevicePlan device(String id) {
    return plan.devices().stream().filter(d -> d.id().equals(id)).findFirst().orElseThrow();
  }

  /** Counts {@code future} as time spent waiting on QEMU or the guest. */
  <T> CompletableFuture<T> waitOn(CompletableFuture<T> future) {
    return waits.track(future);
  }

  /**
   * {@code future}, failed with a {@link PhaseFailure} naming {@code what} if it has not
   * completed within {@code deadline}, or with {@link MigrationCancelledException} as soon as the
   * caller cancels. The underlying QMP request is not withdrawn: callers that must undo it do so.
   */
  <T> CompletableFuture<T> bounded(CompletableFuture<T> future, Duration deadline, String what) {
    return withDeadline(cancellable(future), deadline, what);
  }

  /** Like {@link #bounded} but deaf to cancel: for the rollback, which must run to its end. */
  <T> CompletableFuture<T> withDeadline(CompletableFuture<T> future, Duration deadline, String what) {
    CompletableFuture<T> result = copy(future);
    Phase during = phase;
    ScheduledFuture<?> timer =
        ioThread.schedule(
            () ->
                result.completeExceptionally(
                    new PhaseFailure(during, what + " did not complete within " + deadline)),
            deadline);
    // A migration's deadline may be minutes: a timer left armed would keep the run's futures
    // reachable that long after they are settled.
    result.whenComplete((value, error) -> timer.cancel(false));
    return result;
  }

  /** {@code future}, abandoned with {@link MigrationCancelledException} on cancel. */
  <T> CompletableFuture<T> cancellable(CompletableFuture<T> future) {
    CompletableFuture<T> result = copy(future);
    cancelRequested.thenRun(
        () -> result.completeExceptionally(new MigrationCancelledException(phase.name())));
    return result;
  }

  /** A future that completes as {@code future} does, but can be completed early by its owner. */
  static <T> CompletableFuture<T> copy(CompletableFuture<T> future) {
    CompletableFuture<T> result = new CompletableFuture<>();
    future.whenComplete(
        (value, error) -> {
          if (error == null) {
            result.complete(value);
          } else {
            result.completeExceptionally(error);
          }
        });
    return result;
  }
}
