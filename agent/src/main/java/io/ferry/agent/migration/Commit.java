package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.JournalStep;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The point of no return, shared by a live run and a recovery: the commit journaled first, then
 * run through the {@link Destination} ({@code cont}, RESUME and {@code announce-self} on a local
 * one; the peer agent's commit for a peer).
 */
final class Commit {
  static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);

  private Commit() {}

  /**
   * Completes with QEMU's RESUME timestamp (µs), the instant the guest could use the devices
   * plugged before it. {@code onAccepted} runs as soon as the guest may be running on the
   * destination.
   */
  static CompletableFuture<Long> run(RunContext ctx, Runnable onAccepted) {
    CompletableFuture<Void> committedRecord = new CompletableFuture<>();
    return ctx.journal.record(Phase.COMMIT, JournalStep.CONT_SENT, Map.of())
        .thenCompose(v -> ctx.destination.commit(() -> {
          // From here there is no way back. A fact the destination holds itself (it runs the
          // guest): a failed record changes nothing, and it is written while RESUME travels.
          onAccepted.run();
          ctx.journal.record(Phase.COMMIT, JournalStep.COMMITTED, Map.of())
              .whenComplete((r, error) -> committedRecord.complete(null));
        }))
        .thenCompose(at -> committedRecord.thenApply(r -> at));
  }
}
