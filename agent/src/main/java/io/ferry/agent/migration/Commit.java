package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.JournalStep;
import io.ferry.qmp.QmpEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The point of no return, shared by a live run and a recovery: {@code cont} on the paused
 * destination, journaled first, then its RESUME and {@code announce-self}.
 */
final class Commit {
  static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);

  private Commit() {}

  /**
   * Completes with QEMU's RESUME timestamp (µs), the instant the guest could use the devices
   * plugged before it. {@code onAccepted} runs as soon as the destination accepts {@code cont}.
   */
  static CompletableFuture<Long> run(RunContext ctx, Runnable onAccepted) {
    CompletableFuture<QmpEvent> resumed = new CompletableFuture<>();
    return ctx.journal.record(Phase.COMMIT, JournalStep.CONT_SENT, Map.of())
        .thenCompose(v -> {
          // Registered before cont: QEMU may send RESUME before cont's reply.
          ctx.destination.awaitEvent(QmpEvents.named("RESUME"), RESUME_TIMEOUT).whenComplete((e, error) -> {
            if (error == null) {
              resumed.complete(e);
            } else {
              resumed.completeExceptionally(error);
            }
          });
          return ctx.waitOn(ctx.destination.cont());
        })
        .thenCompose(v -> {
          // Once cont is accepted the guest runs on the destination: from here there is no way back.
          onAccepted.run();
          // A fact QEMU holds itself (the destination runs): a failed record changes nothing.
          return ctx.journal.record(Phase.COMMIT, JournalStep.COMMITTED, Map.of()).exceptionally(error -> null);
        })
        .thenCompose(v -> ctx.withDeadline(ctx.waitOn(resumed), RESUME_TIMEOUT, "the destination's RESUME"))
        .thenApply(event -> {
          // Tell the network where the guest is now; a failure costs only convergence time.
          ctx.destination.announceSelf().exceptionally(error -> {
            ctx.events.warning(Phase.COMMIT, null, "announce-self failed: " + Errors.message(error), Map.of());
            return null;
          });
          return event.timestamp().epochMicros();
        });
  }
}
