package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.journal.InFlightIncoming;
import io.ferry.agent.journal.JournalStep;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.VmStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Settles an incoming migration the journal shows unfinished (this daemon died while it was the
 * destination). The source has long stopped waiting, so an uncommitted one is aborted as {@code
 * /abort} would: the destination QEMU, if still there and not running the guest, is quit, and the
 * devices bound for it are released. A guest that runs here (cont went through) is left alone.
 * All of it happens in phase CLEANUP, whose job is to leave nothing bound that no VM uses.
 */
final class IncomingRecovery {
  private IncomingRecovery() {}

  static CompletableFuture<Void> run(Incoming in, InFlightIncoming journaled) {
    in.hostDevices.adopt(journaled.prepared());
    in.phase = Phase.CLEANUP;
    in.events.phaseStarted(Phase.CLEANUP);
    Map<String, Object> found = new LinkedHashMap<>();
    found.put("interruptedIn", String.valueOf(journaled.lastPhase()));
    found.put("prepared", journaled.prepared());
    found.put("contSent", journaled.contSent());
    found.put("committed", journaled.committed());
    in.events.step(Phase.CLEANUP, "recovery-started", found);
    return in.journal.record(Phase.CLEANUP, JournalStep.RECOVERY_STARTED, found)
        .exceptionally(error -> null) // putting things back goes ahead even if its record fails
        .thenCompose(v -> QmpClient.connect(in.plan().destination().qmp())
            .orTimeout(Incoming.CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        .thenCompose(client -> {
          in.qmp = client;
          return client.queryStatus();
        })
        .handle((status, unreachable) -> status) // null: the destination QEMU is gone
        .thenCompose(status -> settle(in, journaled, status));
  }

  private static CompletableFuture<Void> settle(Incoming in, InFlightIncoming journaled, VmStatus status) {
    String qemu = status == null ? "gone" : status.status();
    if (status != null && status.running()) {
      in.state(Incoming.State.COMMITTED);
      return in.finish(Result.SUCCEEDED, null,
          Map.of("destination", "running", "kept", in.prepared()));
    }
    if (journaled.committed()) {
      // The guest ran here and no longer does: whatever happened needs an operator, not a guess.
      in.state(Incoming.State.FAILED);
      return in.finish(Result.FAILED, "committed before the daemon restarted, but the destination QEMU is "
          + qemu + " now; left as found", Map.of("destination", qemu, "kept", in.prepared()));
    }
    in.state(Incoming.State.ABORTED);
    Map<String, Object> where = new LinkedHashMap<>();
    String reason = "the destination daemon restarted before the commit: the incoming migration is aborted";
    return IncomingRollback.quitDestination(in)
        .thenCompose(quit -> {
          where.put("destination", quit);
          return in.releaseDevices();
        })
        .thenCompose(problems -> {
          where.put("released", List.copyOf(in.prepared()));
          if (problems.isEmpty()) {
            return in.finish(Result.ROLLED_BACK, reason, where);
          }
          where.put("problems", problems);
          return in.finish(Result.FAILED, reason + ", but: " + String.join("; ", problems), where);
        });
  }
}
