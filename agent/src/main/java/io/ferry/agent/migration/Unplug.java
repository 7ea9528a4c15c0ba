package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.JournalStep;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpCommandException;
import io.ferry.qmp.QmpEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * Asks the guest to release every ephemeral device at once and waits for all the DEVICE_DELETED
 * events against one deadline. Half-way through the deadline, devices still present get their
 * {@code device_del} once more: an ACPI hotplug request can be lost (a guest busy or not yet
 * listening), and QEMU answers a repeated request for a pending unplug with an error that is
 * harmless here.
 */
final class Unplug {
  /** The event waits outlive the phase deadline so the deadline, not the wait, names the cause. */
  private static final Duration EVENT_SLACK = Duration.ofSeconds(5);

  private final RunContext ctx;

  Unplug(RunContext ctx) {
    this.ctx = ctx;
  }

  CompletableFuture<Void> run() {
    Duration deadline = ctx.plan.timeouts().unplug();
    List<CompletableFuture<Void>> deletions = new ArrayList<>();
    for (String id : ctx.sourceDevices.keySet()) {
      CompletableFuture<QmpEvent> deleted =
          ctx.source.awaitEvent(QmpEvents.deviceDeleted(id), deadline.plus(EVENT_SLACK));
      ctx.unplugPending.add(id);
      deletions.add(
          requestUnplug(id, false)
              .thenCompose(v -> deleted)
              .thenAccept(
                  event -> {
                    ctx.unplugPending.remove(id);
                    ctx.unplugged.add(id);
                    ctx.events.device(Phase.UNPLUG, id, "deleted", Map.of());
                  }));
      retryHalfway(id, deleted, deadline);
    }
    CompletableFuture<Void> all =
        ctx.waitOn(CompletableFuture.allOf(deletions.toArray(CompletableFuture[]::new)));
    return ctx.bounded(all, deadline, "the guest's release of " + pendingNames())
        .exceptionally(
            error -> {
              throw asFailure(error);
            })
        .thenCompose(v -> ctx.waitOn(ctx.source.queryPci()))
        .thenAccept(this::confirmGone);
  }

  private CompletableFuture<Void> requestUnplug(String id, boolean retry) {
    // The first request is journaled before it is sent; a retry repeats an intent already written.
    CompletableFuture<Void> durable = retry
        ? CompletableFuture.completedFuture(null)
        : ctx.journal.record(Phase.UNPLUG, JournalStep.UNPLUG_REQUESTED, id, Map.of());
    return durable
        .thenCompose(v -> {
          if (!retry && ctx.cancelRequested.isDone()) {
            // Cancelled while the record was being written: the rollback has begun, send nothing.
            ctx.unplugPending.remove(id);
            throw new MigrationCancelledException(Phase.UNPLUG.name());
          }
          CompletableFuture<Void> request = ctx.waitOn(ctx.source.deviceDel(id));
          ctx.events.device(Phase.UNPLUG, id, retry ? "unplug-retried" : "unplug-requested", Map.of());
          return request;
        })
        .exceptionally(
            error -> {
              if (alreadyUnplugging(error)) {
                return null;
              }
              throw new PhaseFailure(
                  Phase.UNPLUG, "device_del " + id + " failed: " + rootMessage(error), error);
            });
  }

  private void retryHalfway(String id, CompletableFuture<QmpEvent> deleted, Duration deadline) {
    ScheduledFuture<?> retry =
        ctx.ioThread.schedule(
            () -> {
              if (!deleted.isDone() && !ctx.cancelRequested.isDone() && ctx.phase == Phase.UNPLUG) {
                requestUnplug(id, true).exceptionally(error -> null);
              }
            },
            deadline.dividedBy(2));
    deleted.whenComplete((event, error) -> retry.cancel(false));
  }

  private void confirmGone(List<PciDeviceInfo> pci) {
    List<String> stillThere =
        pci.stream()
            .map(PciDeviceInfo::qdevId)
            .filter(ctx.sourceDevices::containsKey)
            .toList();
    if (!stillThere.isEmpty()) {
      ctx.unplugged.removeAll(stillThere);
      throw new PhaseFailure(
          Phase.UNPLUG,
          "DEVICE_DELETED arrived but query-pci still lists " + String.join(", ", stillThere));
    }
  }

  private String pendingNames() {
    return String.join(", ", ctx.sourceDevices.keySet());
  }

  private RuntimeException asFailure(Throwable error) {
    Throwable cause = Errors.unwrap(error);
    if (cause instanceof PhaseFailure || cause instanceof MigrationCancelledException) {
      if (cause instanceof PhaseFailure && !ctx.unplugPending.isEmpty()) {
        return new PhaseFailure(
            Phase.UNPLUG,
            "the guest did not release "
                + String.join(", ", ctx.unplugPending)
                + " within "
                + ctx.plan.timeouts().unplug(),
            cause);
      }
      return (RuntimeException) cause;
    }
    return new PhaseFailure(Phase.UNPLUG, rootMessage(cause), cause);
  }

  /** QEMU refuses a second device_del while the guest still handles the first one. */
  static boolean alreadyUnplugging(Throwable error) {
    Throwable cause = Errors.unwrap(error);
    return cause instanceof QmpCommandException qmp
        && qmp.description() != null
        && qmp.description().contains("in the process of unplug");
  }

  static String rootMessage(Throwable error) {
    return Errors.message(error);
  }
}
