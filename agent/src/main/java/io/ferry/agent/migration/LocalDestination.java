package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Side;
import io.ferry.agent.journal.JournalStep;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpIoThread;
import io.ferry.qmp.QmpOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A destination QEMU on this host, driven over its own QMP monitor. */
final class LocalDestination implements Destination {
  private static final Duration QUIT_GRACE = Duration.ofSeconds(10);

  private final RunContext ctx;
  private volatile QmpClient qmp;
  private volatile EventSubscription tap;

  LocalDestination(RunContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public CompletableFuture<Void> open(QmpIoThread ioThread, QmpOptions options) {
    return QmpClient.connect(ctx.plan.destination().qmp(), options, ioThread).thenAccept(client -> {
      client.observeRoundTrips(ctx.qmpRoundTrips);
      qmp = client;
    });
  }

  @Override
  public synchronized void attachEventTap() {
    if (tap == null && qmp != null) {
      tap = QemuEventTap.attach(ctx, Side.DESTINATION, qmp);
    }
  }

  /** The monitor, once {@link #open} completed (null if it did not): for a recovery's reads. */
  QmpClient monitor() {
    return qmp;
  }

  @Override
  public CompletableFuture<String> problem() {
    return ctx.waitOn(qmp.queryStatus()).thenApply(status -> "inmigrate".equals(status.status())
        ? null
        : "the destination is not waiting for an incoming migration (status " + status.status()
            + "; start it with -S -incoming defer)");
  }

  /**
   * Both sent at once: the monitor runs its commands in order, so the parameters still follow the
   * capabilities, without a round trip between them. A failure of the capabilities is the one
   * reported.
   */
  @Override
  public CompletableFuture<Void> prepare(Map<String, Boolean> capabilities, Map<String, Object> parameters) {
    CompletableFuture<Void> caps = ctx.waitOn(qmp.migrateSetCapabilities(capabilities));
    CompletableFuture<Void> params = ctx.waitOn(qmp.migrateSetParameters(parameters));
    return CompletableFuture.allOf(caps, params)
        .handle((v, error) -> null)
        .thenRun(() -> {
          caps.join();
          params.join();
        });
  }

  @Override
  public CompletableFuture<String> loadStatus(Duration deadline) {
    return qmp.awaitEvent(QmpEvents.migrationStatus(Set.of("completed", "failed")), deadline)
        .thenApply(QmpEvents::migrationStatusOf);
  }

  @Override
  public CompletableFuture<Void> listen(String uri) {
    return ctx.waitOn(qmp.migrateIncoming(uri));
  }

  @Override
  public CompletableFuture<List<PlugResult>> plug(
      Map<String, Map<String, Object>> devices, Duration deadline, boolean cancellable) {
    return new Replug(ctx).plug(Side.DESTINATION, qmp, devices, deadline, cancellable);
  }

  @Override
  public CompletableFuture<Long> commit(Runnable pointOfNoReturn) {
    // Registered before cont: QEMU may send RESUME before cont's reply.
    CompletableFuture<QmpEvent> resumed = qmp.awaitEvent(QmpEvents.named("RESUME"), Commit.RESUME_TIMEOUT);
    // Once cont is accepted the guest runs on the destination: from here there is no way back.
    return ctx.waitOn(qmp.cont())
        .thenRun(pointOfNoReturn)
        .thenCompose(v -> ctx.withDeadline(ctx.waitOn(resumed), Commit.RESUME_TIMEOUT, "the destination's RESUME"))
        .thenApply(event -> {
          // Tell the network where the guest is now; a failure costs only convergence time.
          qmp.announceSelf().exceptionally(error -> {
            ctx.events.warning(Phase.COMMIT, null, "announce-self failed: " + Errors.message(error), Map.of());
            return null;
          });
          return event.timestamp().epochMicros();
        });
  }

  /** The destination holds (part of) the guest's state but never ran it: it is discarded. */
  @Override
  public CompletableFuture<String> discard(boolean streamStarted) {
    if (!streamStarted) {
      return CompletableFuture.completedFuture("untouched");
    }
    if (qmp == null || !qmp.isOpen()) {
      return CompletableFuture.completedFuture("gone");
    }
    CompletableFuture<Throwable> gone = qmp.disconnected();
    return ctx.journal.record(Phase.ROLLBACK, JournalStep.QUIT_DESTINATION, Map.of())
        .exceptionally(error -> null) // a rollback step goes ahead even if its record fails
        .thenCompose(v -> {
          ctx.events.step(Phase.ROLLBACK, "quit-destination", Map.of());
          return ctx.waitOn(qmp.quit());
        })
        .handle((v, error) -> null)
        .thenCompose(v -> ctx.waitOn(RunContext.copy(gone))
            .completeOnTimeout(null, QUIT_GRACE.toMillis(), TimeUnit.MILLISECONDS))
        .thenApply(v -> qmp.isOpen() ? "still-running" : "quit");
  }

  @Override
  public CompletableFuture<Long> failoverNegotiated(String primary, String standby, Duration deadline) {
    return qmp.awaitEvent(QmpEvents.failoverNegotiated(standby), deadline)
        .thenCompose(event -> PrimaryCheck.plugged(qmp, primary, standby)
            .thenApply(v -> event.timestamp().epochMicros()));
  }

  @Override
  public void close() {
    if (tap != null) {
      tap.close();
    }
    if (qmp != null) {
      qmp.close();
    }
  }
}
