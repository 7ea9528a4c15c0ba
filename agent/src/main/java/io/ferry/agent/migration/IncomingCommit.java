package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.migration.IncomingException.Kind;
import io.ferry.qmp.QmpEvent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The point of no return of an {@link Incoming}: {@code cont} on the destination, RESUME, then
 * {@code announce-self}; in failover mode also the guest's negotiation of each standby, which is
 * when QEMU plugs the primary.
 */
final class IncomingCommit {
  private static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);

  private IncomingCommit() {}

  /** Runs it; {@code in} has checked that it may ({@link Incoming#commit}). */
  static CompletableFuture<IncomingCommitted> run(Incoming in) {
    return in.awaitLoaded()
        .thenCompose(v -> {
          in.enter(Phase.COMMIT);
          return in.journal.record(Phase.COMMIT, JournalStep.CONT_SENT, Map.of());
        })
        .thenCompose(v -> {
          CompletableFuture<QmpEvent> resumed = in.qmp.awaitEvent(QmpEvents.named("RESUME"), RESUME_TIMEOUT);
          return in.qmp.cont().thenCompose(accepted -> {
            in.state(Incoming.State.COMMITTED); // the guest runs here now: nothing may undo it
            in.lease.stop();
            in.journal.record(Phase.COMMIT, JournalStep.COMMITTED, Map.of()).exceptionally(error -> {
              in.events.warning(Phase.COMMIT, null, "the journal's commit record failed: " + Errors.message(error),
                  Map.of());
              return null;
            });
            return resumed.orTimeout(RESUME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          });
        })
        .thenCompose(event -> {
          in.qmp.announceSelf().exceptionally(error -> {
            in.events.warning(Phase.COMMIT, null, "announce-self failed: " + Errors.message(error), Map.of());
            return null;
          });
          long at = event.timestamp().epochMicros();
          return negotiations(in).thenCompose(failover -> finish(in, at, failover));
        })
        .handle((committed, error) -> {
          boolean ran = in.state() == Incoming.State.COMMITTED;
          in.endCall(null);
          if (error == null) {
            return CompletableFuture.completedFuture(committed);
          }
          if (ran) {
            return in.finish(Result.FAILED, "after cont: " + Errors.message(error), Map.of("committed", true))
                .<IncomingCommitted>thenApply(done -> {
                  throw new IncomingException(Kind.FAILED, "commit_unconfirmed",
                      "cont was accepted, then: " + Errors.message(error));
                });
          }
          // The caller may abort now: nothing here ran the guest.
          return CompletableFuture.<IncomingCommitted>failedFuture(new IncomingException(Kind.FAILED, "not_committed",
              "the destination did not commit: " + Errors.message(error)));
        })
        .thenCompose(f -> f);
  }

  /** Failover mode: QEMU plugs each primary once the guest negotiates its standby. */
  private static CompletableFuture<List<FailoverNegotiation>> negotiations(Incoming in) {
    if (!in.failover.active()) {
      return CompletableFuture.completedFuture(List.of());
    }
    return in.failover.await(in.plan().timeouts().replug())
        .thenCompose(all -> {
          List<CompletableFuture<FailoverNegotiation>> checked = all.stream().map(n -> confirmed(in, n)).toList();
          return CompletableFuture.allOf(checked.toArray(CompletableFuture[]::new))
              .thenApply(v -> checked.stream().map(CompletableFuture::join).toList());
        })
        .thenApply(all -> {
          for (FailoverNegotiation n : all) {
            in.events.device(Phase.COMMIT, n.primary(), n.negotiated() ? "failover-negotiated" : "failover-missing",
                n.negotiated()
                    ? Map.of("side", "destination", "standby", n.standby(), "atMicros", n.negotiatedAtMicros())
                    : Map.of("side", "destination", "standby", n.standby(), "error", n.error()));
          }
          return all;
        });
  }

  /** A negotiation counts once the primary is found plugged: QEMU reports it even without one. */
  private static CompletableFuture<FailoverNegotiation> confirmed(Incoming in, FailoverNegotiation n) {
    if (!n.negotiated()) {
      return CompletableFuture.completedFuture(n);
    }
    return PrimaryCheck.plugged(in.qmp, n.primary(), n.standby()).handle((v, error) -> error == null ? n
        : new FailoverNegotiation(n.primary(), n.standby(), null, Errors.message(error)));
  }

  /** The guest runs here: SUCCEEDED, or DEGRADED when a failover primary did not come back. */
  private static CompletableFuture<IncomingCommitted> finish(Incoming in, long at, List<FailoverNegotiation> failover) {
    List<FailoverNegotiation> missing = failover.stream().filter(n -> !n.negotiated()).toList();
    Map<String, Object> where = new LinkedHashMap<>();
    where.put("destination", "running");
    where.put("resumedAtMicros", at);
    if (!missing.isEmpty()) {
      where.put("missing", missing.stream().map(FailoverNegotiation::primary).toList());
    }
    String reason = missing.isEmpty() ? null
        : "running without " + String.join(", ", missing.stream().map(FailoverNegotiation::primary).toList())
            + ": " + missing.get(0).error();
    return in.finish(missing.isEmpty() ? Result.SUCCEEDED : Result.DEGRADED, reason, where)
        .thenApply(done -> new IncomingCommitted(at, failover));
  }
}
