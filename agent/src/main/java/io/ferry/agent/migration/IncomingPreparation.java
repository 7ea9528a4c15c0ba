package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.migration.IncomingException.Kind;
import io.ferry.agent.plan.DurationText;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.qmp.QmpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Opens a new {@link Incoming} (phase PREFLIGHT): prepares the destination for its plan, or, when
 * it cannot, undoes what it did, leaving the destination QEMU untouched and releasing the devices.
 */
final class IncomingPreparation {
  private static final Duration LOAD_SETTLE = Duration.ofSeconds(30);

  private IncomingPreparation() {}

  /**
   * Prepares the destination for the plan: binds the devices that name a {@code host}, checks
   * the destination QEMU is paused in {@code inmigrate}, sets the capabilities and parameters, and
   * starts {@code migrate-incoming} on the plan's uri; then the lease starts. On failure, undoes
   * what it did and fails with an {@link IncomingException}.
   */
  static CompletableFuture<Incoming> run(Incoming in) {
    MigrationPlan plan = in.plan();
    in.events.phaseStarted(Phase.PREFLIGHT);
    // The first record carries the plan (and the role): a restarted daemon finds the QEMU and
    // the devices from it, and tells this incoming migration from the ones it sources.
    return in.journal.record(Phase.PREFLIGHT, JournalStep.PHASE_ENTERED,
            Map.of("plan", JournalReplay.planDetail(plan), "role", JournalReplay.INCOMING_ROLE))
        .thenCompose(v -> in.hostDevices.prepare(plan))
        .thenCompose(v -> QmpClient.connect(plan.destination().qmp())
            .orTimeout(Incoming.CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        .thenCompose(client -> {
          in.qmp = client;
          in.tap = client.subscribe(in.new Tap(), 4096);
          return client.queryStatus();
        })
        .thenCompose(status -> {
          if (!"inmigrate".equals(status.status()) || status.running()) {
            throw new IncomingException(Kind.CONFLICT, "destination_not_incoming",
                "the destination QEMU is not paused waiting for an incoming migration (status "
                    + status.status() + "; start it with -S -incoming defer)");
          }
          return standbysPresent(in);
        })
        .thenCompose(v -> {
          Map<String, Boolean> capabilities = new LinkedHashMap<>(plan.migration().capabilities());
          capabilities.put("events", true); // the load's completion is a MIGRATION event
          return in.qmp.migrateSetCapabilities(capabilities);
        })
        .thenCompose(v -> in.qmp.migrateSetParameters(plan.migration().parameters()))
        .thenCompose(v -> in.journal.record(Phase.PREFLIGHT, JournalStep.MIGRATE_STARTED, Map.of()))
        .thenCompose(v -> {
          Duration horizon = plan.timeouts().unplug().plus(plan.timeouts().migration()).plus(LOAD_SETTLE);
          // Registered before migrate-incoming: the stream may arrive at once.
          in.loaded = in.qmp.awaitEvent(QmpEvents.migrationStatus(Set.of("completed", "failed")), horizon);
          return in.qmp.migrateIncoming(plan.uri().toQemuUri());
        })
        .thenApply(v -> {
          in.events.phaseDetail(Phase.PREFLIGHT, Map.of("uri", plan.uri().toQemuUri(), "prepared", in.hostDevices.addresses(),
              "lease", DurationText.format(in.lease.length())));
          in.enter(Phase.MIGRATE);
          synchronized (in) {
            in.state = Incoming.State.LISTENING;
          }
          in.lease.start();
          return in;
        })
        .exceptionallyCompose(error -> undo(in, error));
  }

  /**
   * Failover mode: QEMU plugs a primary on the destination only through its standby, so each
   * standby must be there as a virtio-net with {@code failover=on}. (The hidden primary itself
   * cannot be checked: QEMU lists it nowhere until the guest negotiates.)
   */
  private static CompletableFuture<Void> standbysPresent(Incoming in) {
    List<CompletableFuture<String>> checks = new ArrayList<>();
    for (String standby : in.failover.standbys()) {
      checks.add(in.qmp.qomGet("/machine/peripheral/" + standby, "failover")
          .handle((value, error) -> error == null && value.asBoolean(false) ? null
              : standby + (error == null ? " has failover=off" : " is not there ("
                  + Errors.message(error) + ")")));
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).thenRun(() -> {
      List<String> problems = checks.stream().map(CompletableFuture::join).filter(p -> p != null).toList();
      if (!problems.isEmpty()) {
        throw new IncomingException(Kind.CONFLICT, "standby_missing",
            "the destination QEMU lacks the failover standby of the plan: " + String.join("; ", problems)
                + " (start it with the standby virtio-net-pci,failover=on and the primary with failover_pair_id)");
      }
    });
  }

  private static CompletableFuture<Incoming> undo(Incoming in, Throwable error) {
    Throwable cause = Errors.unwrap(error);
    String reason = Errors.message(cause);
    synchronized (in) {
      in.events.phaseFailed(Phase.PREFLIGHT, reason);
      in.phaseFailed = true;
      in.state = Incoming.State.FAILED;
    }
    return in.releaseDevices().thenCompose(problems -> {
      Map<String, Object> where = new LinkedHashMap<>();
      where.put("destination", "untouched");
      where.put("released", in.hostDevices.addresses());
      return in.finish(problems.isEmpty() ? Result.ROLLED_BACK : Result.FAILED,
          problems.isEmpty() ? reason : reason + "; " + String.join("; ", problems), where);
    }).thenApply(v -> {
      throw cause instanceof IncomingException refused
          ? refused
          : new IncomingException(Kind.FAILED, "incoming_failed", "cannot prepare the destination: " + reason);
    });
  }
}
