package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.journal.JournalStep;
import io.ferry.qmp.QmpClient;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gives back what an {@link Incoming} holds once it is given up before the commit (aborted by the
 * source, its lease expired, or the daemon stopping; phase ROLLBACK): quits the destination QEMU,
 * which holds a guest that must never run here, releases every device prepared for it, and ends it
 * with the outcome. {@link IncomingRecovery} quits the destination QEMU the same way.
 */
final class IncomingRollback {
  private static final Duration QUIT_GRACE = Duration.ofSeconds(10);

  private IncomingRollback() {}

  /** Runs once {@code in} is in state {@code as}; completes with the outcome an abort answers. */
  static CompletableFuture<Map<String, Object>> run(Incoming in, Incoming.State as, String reason) {
    in.enter(Phase.ROLLBACK);
    Map<String, Object> outcome = Collections.synchronizedMap(new LinkedHashMap<>());
    outcome.put("id", in.id());
    outcome.put("state", as.wireName());
    return in.journal.record(Phase.ROLLBACK, JournalStep.QUIT_DESTINATION, Map.of())
        .exceptionally(error -> null) // a rollback step goes ahead even if its record fails
        .thenCompose(v -> quitDestination(in))
        .thenAccept(where -> outcome.put("destination", where))
        .thenCompose(v -> in.releaseDevices())
        .thenCompose(problems -> {
          outcome.put("released", in.hostDevices.addresses());
          CompletableFuture<Void> finished;
          if (problems.isEmpty()) {
            finished = in.finish(Result.ROLLED_BACK, reason, Map.copyOf(outcome));
          } else {
            outcome.put("problems", problems);
            finished = in.finish(Result.FAILED, reason + ", but: " + String.join("; ", problems), Map.copyOf(outcome));
          }
          return finished.thenApply(v -> Collections.unmodifiableMap(new LinkedHashMap<>(outcome))); // order kept
        });
  }

  /** Quits the destination QEMU if it is connected: "quit", "still-running" or "gone". */
  static CompletableFuture<String> quitDestination(Incoming in) {
    QmpClient client = in.qmp;
    if (client == null || !client.isOpen()) {
      return CompletableFuture.completedFuture("gone");
    }
    in.events.step(in.phase, "quit-destination", Map.of());
    CompletableFuture<Throwable> gone = client.disconnected();
    return client.quit()
        .handle((v, error) -> null)
        .thenCompose(v -> RunContext.copy(gone).completeOnTimeout(null, QUIT_GRACE.toMillis(), TimeUnit.MILLISECONDS))
        .thenApply(v -> client.isOpen() ? "still-running" : "quit");
  }
}
