package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.Mode;
import io.ferry.qmp.MigrationInfo;
import io.ferry.qmp.QmpEvent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import io.ferry.agent.journal.JournalStep;

/**
 * Runs QEMU's own migration: {@code migrate-incoming} on the destination, {@code migrate} on the
 * source, then follows the MIGRATION events to a final state. {@code query-migrate} is asked
 * about once a second only for the progress figures; the state itself comes from events.
 *
 * <p>In failover mode the time from {@code migrate} to the source's {@code active} status is the
 * guest's unplug of the primaries (QEMU's {@code wait-unplug}, which QEMU may skip): it is
 * bounded by the plan's unplug deadline, which QEMU itself does not have.
 */
final class MigrateStream {
  static final Set<String> SOURCE_FINAL = Set.of("completed", "failed", "cancelled");
  private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(1);
  private static final Duration DESTINATION_SETTLE = Duration.ofSeconds(30);

  private final RunContext ctx;
  private final Supplier<CompletableFuture<Void>> onUnplugDone;
  private volatile boolean finished;

  /**
   * @param onUnplugDone called when, in failover mode, the source leaves {@code wait-unplug}
   */
  MigrateStream(RunContext ctx, Supplier<CompletableFuture<Void>> onUnplugDone) {
    this.ctx = ctx;
    this.onUnplugDone = onUnplugDone;
  }

  /** Completes once both sides report {@code completed}. */
  CompletableFuture<Void> run() {
    Duration total = ctx.plan.timeouts().migration().plus(ctx.plan.timeouts().unplug());
    CompletableFuture<QmpEvent> sourceFinal =
        ctx.source.awaitEvent(QmpEvents.migrationStatus(SOURCE_FINAL), total.plus(DESTINATION_SETTLE));
    CompletableFuture<String> destinationFinal = ctx.destination.loadStatus(total.plus(DESTINATION_SETTLE));
    CompletableFuture<QmpEvent> sourceActive =
        ctx.source.awaitEvent(
            QmpEvents.migrationStatus(Set.of("active", "completed", "failed", "cancelled")),
            total.plus(DESTINATION_SETTLE));
    String uri = ctx.plan.uri().toQemuUri();

    CompletableFuture<Void> started =
        ctx.journal.record(ctx.phase, JournalStep.MIGRATE_STARTED, Map.of("uri", uri))
            .thenCompose(v -> ctx.destination.listen(uri))
            .thenCompose(
                v -> {
                  ctx.migrationStarted = true;
                  return ctx.waitOn(ctx.source.migrate(uri));
                })
            .exceptionally(
                error -> {
                  throw new PhaseFailure(
                      ctx.phase, "could not start the migration: " + Errors.message(error), error);
                });

    CompletableFuture<Void> unplugDone =
        started.thenCompose(v -> ctx.plan.mode() == Mode.FAILOVER ? primariesReleased(sourceActive) : done());
    return unplugDone
        .thenCompose(
            v -> {
              scheduleProgress();
              return ctx.bounded(
                  ctx.waitOn(sourceFinal), ctx.plan.timeouts().migration(), "the migration");
            })
        .thenCompose(this::requireCompleted)
        .thenCompose(
            v ->
                ctx.bounded(ctx.waitOn(destinationFinal), DESTINATION_SETTLE, "the destination's load")
                    .thenAccept(
                        status -> {
                          if (!"completed".equals(status)) {
                            throw new PhaseFailure(
                                Phase.MIGRATE, "the destination failed to load the migration stream");
                          }
                        }))
        .whenComplete((v, error) -> finished = true);
  }

  private CompletableFuture<Void> primariesReleased(CompletableFuture<QmpEvent> sourceActive) {
    return ctx.bounded(
            ctx.waitOn(sourceActive),
            ctx.plan.timeouts().unplug(),
            "the guest's release of the failover primaries")
        .thenCompose(
            event -> {
              ctx.sourceDevices.keySet().forEach(ctx.unplugged::add);
              return onUnplugDone.get();
            });
  }

  /**
   * The source's final MIGRATION event. On success nothing more is asked here: the guest is
   * paused until the commit, so a round trip now would be downtime; the figures are read after.
   */
  private CompletableFuture<Void> requireCompleted(QmpEvent event) {
    String status = QmpEvents.migrationStatusOf(event);
    if ("completed".equals(status)) {
      return done();
    }
    return ctx.waitOn(ctx.source.queryMigrate())
        .handle(
            (info, error) -> {
              String why = info == null || info.errorDesc() == null ? "" : ": " + info.errorDesc();
              throw new PhaseFailure(Phase.MIGRATE, "the migration " + status + why);
            });
  }

  private void scheduleProgress() {
    ctx.ioThread.schedule(
        () -> {
          if (finished || !ctx.source.isOpen()) {
            return;
          }
          // Figures only; not counted as waiting, since nothing waits on them.
          ctx.source
              .queryMigrate()
              .thenAccept(
                  info -> {
                    if (!finished && info.ram() != null) {
                      ctx.events.progress(Phase.MIGRATE, progressDetail(info));
                    }
                  })
              .whenComplete((v, e) -> scheduleProgress());
        },
        PROGRESS_INTERVAL);
  }

  static Map<String, Object> progressDetail(MigrationInfo info) {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("status", info.status());
    detail.put("transferredBytes", info.ram().transferred());
    detail.put("remainingBytes", info.ram().remaining());
    detail.put("totalBytes", info.ram().total());
    detail.put("passes", info.ram().dirtySyncCount());
    detail.put("mbps", info.ram().mbps());
    if (info.totalTimeMs() != null) {
      detail.put("elapsedMs", info.totalTimeMs());
    }
    if (info.expectedDowntimeMs() != null) {
      detail.put("expectedDowntimeMs", info.expectedDowntimeMs());
    }
    return detail;
  }

  private static CompletableFuture<Void> done() {
    return CompletableFuture.completedFuture(null);
  }
}
