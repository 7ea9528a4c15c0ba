package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.Side;
import io.ferry.agent.journal.InFlightMigration;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.plan.DevicePolicy;
import io.ferry.agent.plan.Mode;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpIoThread;
import io.ferry.qmp.QmpOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Settles a migration whose daemon died, from what the QEMUs say now (the journal only says what
 * ferry may have done). The rules, in order (README, "Journal and crash recovery"):
 * <ol>
 *   <li>the destination runs the guest: the commit happened; plug on it what it lacks
 *       (SUCCEEDED, or DEGRADED for what cannot be plugged);
 *   <li>the destination holds the complete stream ({@code query-migrate} completed, paused) and
 *       the source is done too or gone: plug what it lacks; if every mandatory device is in,
 *       {@code cont} it (the commit), else fail back;
 *   <li>otherwise, with the source reachable: roll back (cancel a stream in flight, quit a
 *       destination that was given the stream, {@code cont} the source, wait out an unplug the
 *       guest is still doing, plug back what the source lacks);
 *   <li>with neither: FAILED, with what was found.
 * </ol>
 * A plan whose destination is a peer agent: that agent is asked where its incoming migration
 * stands ({@code GET /v1/migrations/{id}}). Committed there: the guest runs on the destination
 * (SUCCEEDED; the source is left in postmigrate). Not committed, ended, or unknown to it: the
 * incoming is aborted there (a no-op if it already ended) and the source rolled back. The peer
 * does not answer: the source is rolled back only if the guest still runs on it (the peer's lease
 * then aborts its side); otherwise nothing is touched (FAILED: only the peer knows whether it
 * committed).
 */
final class Recovery {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final RunContext ctx;
  private final InFlightMigration journaled;
  private final List<EventSubscription> taps = new ArrayList<>();
  private boolean started;

  Recovery(RunContext ctx, InFlightMigration journaled) {
    this.ctx = ctx;
    this.journaled = journaled;
  }

  CompletableFuture<MigrationOutcome> run() {
    ctx.phase = journaled.lastPhase();
    journaled.sourceDevices().forEach((id, props) -> ctx.sourceDevices.put(id, new SourceDevice(id, props)));
    QmpIoThread ioThread = ctx.ioThread;
    QmpOptions options = QmpOptions.defaults().withConnectTimeout(CONNECT_TIMEOUT);
    CompletableFuture<QmpClient> source = connect(ctx.plan.source().qmp(), ioThread, options);
    if (!(ctx.destination instanceof LocalDestination destination)) {
      PeerDestination peer = (PeerDestination) ctx.destination;
      return source.thenCompose(s -> {
            ctx.source = s;
            return look(s);
          })
          .thenCombine(peer.incomingState(), (found, peerState) -> new Object[] {found, peerState})
          .thenCompose(both -> settlePeer(peer, (FoundState) both[0], (String) both[1]))
          .thenCompose(this::journalEnd)
          .thenApply(this::finish);
    }
    CompletableFuture<QmpClient> dest = open(destination, ioThread, options);
    return source.thenCombine(dest, (s, d) -> {
          ctx.source = s;
          return d;
        })
        .thenCompose(d -> look(ctx.source).thenCombine(look(d), Found::new))
        .thenCompose(found -> {
          Map<String, Object> detail = found.toDetail();
          detail.put("interruptedIn", journaled.lastPhase().name());
          ctx.events.step(ctx.phase, "recovery-started", detail);
          return ctx.journal.record(ctx.phase, JournalStep.RECOVERY_STARTED, detail).thenCompose(v -> settle(found));
        })
        .thenCompose(this::journalEnd)
        .thenApply(this::finish);
  }

  /** What to do with a migration to a peer agent, from the source's state and the peer's word. */
  private CompletableFuture<MigrationOutcome.Draft> settlePeer(PeerDestination peer, FoundState source, String peerState) {
    String agent = ctx.plan.destination().agent().orElseThrow().toString();
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("source", source.toDetail());
    detail.put("destination", Map.of("agent", agent, "incoming", peerState));
    detail.put("interruptedIn", journaled.lastPhase().name());
    ctx.events.step(ctx.phase, "recovery-started", detail);
    // The peer is not a QEMU this daemon reads: it stands in Found as unreachable, and the
    // reasons below say what the peer agent said.
    Found found = new Found(source, FoundState.UNREACHABLE);
    return ctx.journal.record(ctx.phase, JournalStep.RECOVERY_STARTED, detail)
        .exceptionally(error -> null)
        .thenCompose(v -> {
          boolean sourceRuns = "running".equals(source.status());
          boolean guestLeftSource = source.reachable() && "completed".equals(source.migration());
          switch (peerState) {
            case PeerDestination.COMMITTED -> {
              if (sourceRuns) {
                return failed("the peer agent " + agent + " committed, yet the source runs the guest too; left as they are", found);
              }
              Map<String, Object> state = new LinkedHashMap<>();
              state.put("recovered", true);
              state.put("interruptedIn", journaled.lastPhase().name());
              state.put("destination", "running on the peer agent " + agent);
              state.put("why", "the peer agent had committed the incoming migration before the crash");
              return CompletableFuture.completedFuture(new MigrationOutcome.Draft(Result.SUCCEEDED, null, state));
            }
            case PeerDestination.UNREACHABLE, PeerDestination.RECOVERING -> {
              if (sourceRuns && !guestLeftSource) {
                // The guest is still here: putting the source back is safe whatever the peer did,
                // and the peer's lease ends its side.
                return rollback("the daemon stopped during " + journaled.lastPhase() + "; the peer agent " + agent
                    + (PeerDestination.UNREACHABLE.equals(peerState) ? " does not answer" : " is settling its side")
                    + " (its lease ends the incoming migration)", found);
              }
              return failed("the peer agent " + agent
                  + (PeerDestination.UNREACHABLE.equals(peerState) ? " does not answer" : " is still settling its side")
                  + " and only it knows whether the guest was committed there; the source ("
                  + (source.reachable() ? source.status() : "unreachable") + ") is left as found", found);
            }
            default -> {
              if (!source.reachable()) {
                return failed("the source QEMU does not answer (the peer agent's incoming migration: " + peerState + ")", found);
              }
              peer.recovering(); // its abort is sent, whatever the dead daemon had sent before
              return rollback("the daemon stopped during " + journaled.lastPhase() + " (the peer agent's incoming migration: "
                  + peerState + ")", found);
            }
          }
        });
  }

  private record Found(FoundState source, FoundState destination) {
    Map<String, Object> toDetail() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("source", source.toDetail());
      out.put("destination", destination.toDetail());
      return out;
    }
  }

  private CompletableFuture<QmpClient> connect(Path socket, QmpIoThread ioThread, QmpOptions options) {
    CompletableFuture<QmpClient> client = QmpClient.connect(socket, options, ioThread);
    return ctx.withDeadline(client, CONNECT_TIMEOUT, "connecting to the source")
        .handle((c, error) -> {
          if (error != null) {
            client.thenAccept(QmpClient::close); // connected too late: not used
            return null;
          }
          c.observeRoundTrips(ctx.qmpRoundTrips);
          taps.add(QemuEventTap.attach(ctx, Side.SOURCE, c));
          return c;
        });
  }

  /** The destination's monitor, or null if it does not answer (then it counts as gone). */
  private CompletableFuture<QmpClient> open(LocalDestination destination, QmpIoThread ioThread, QmpOptions options) {
    CompletableFuture<Void> opened = destination.open(ioThread, options);
    return ctx.withDeadline(opened, CONNECT_TIMEOUT, "connecting to the destination")
        .handle((v, error) -> {
          if (error != null) {
            opened.thenRun(destination::close); // connected too late: not used
            return null;
          }
          destination.attachEventTap();
          return destination.monitor();
        });
  }

  private CompletableFuture<FoundState> look(QmpClient qmp) {
    if (qmp == null) {
      return CompletableFuture.completedFuture(FoundState.UNREACHABLE);
    }
    return qmp.queryStatus()
        .thenCombine(qmp.queryMigrate(), (status, migration) -> new Object[] {status.status(), migration.status()})
        .thenCombine(qmp.queryPci(), (sm, pci) -> new FoundState((String) sm[0], (String) sm[1], ids(pci)))
        .exceptionally(error -> FoundState.UNREACHABLE);
  }

  private CompletableFuture<MigrationOutcome.Draft> settle(Found found) {
    boolean sourceRuns = "running".equals(found.source().status());
    if ("running".equals(found.destination().status())) {
      if (sourceRuns) {
        return failed("both the source and the destination run the guest; left as they are", found);
      }
      return enter(Phase.REPLUG)
          .thenCompose(v -> plugDestination(found.destination(), false))
          .thenApply(results -> onDestination(results, "the destination already ran the guest (committed before the crash)"));
    }
    boolean streamComplete = found.destination().reachable() && "completed".equals(found.destination().migration());
    boolean sourceDone = !found.source().reachable() || "completed".equals(found.source().migration());
    if (streamComplete && sourceDone) {
      return enter(Phase.REPLUG)
          .thenCompose(v -> plugDestination(found.destination(), true))
          .thenCompose(results -> {
            List<PlugResult> mandatoryFailed = results.stream()
                .filter(r -> !r.plugged() && ctx.device(r.device()).policy() == DevicePolicy.MANDATORY)
                .toList();
            if (!mandatoryFailed.isEmpty() && found.source().reachable()) {
              return rollback("mandatory device " + mandatoryFailed.get(0).device()
                  + " could not be plugged on the destination: " + mandatoryFailed.get(0).error(), found);
            }
            return commit().thenApply(v -> onDestination(results, "the migration stream had completed"));
          });
    }
    if (!found.source().reachable()) {
      return failed("the source QEMU does not answer and the destination does not hold the complete guest", found);
    }
    return rollback("the daemon stopped during " + journaled.lastPhase(), found);
  }

  private CompletableFuture<MigrationOutcome.Draft> rollback(String reason, Found found) {
    String migration = found.source().migration();
    ctx.migrationStarted = journaled.migrateStarted()
        || (migration != null && !"none".equals(migration))
        || (found.destination().migration() != null && !"none".equals(found.destination().migration()));
    return enter(Phase.ROLLBACK)
        .thenCompose(v -> awaitPendingUnplugs())
        .thenCompose(v -> new Rollback(ctx).run("recovered: " + reason))
        .thenApply(draft -> withRecovery(draft, found));
  }

  /**
   * A device_del the dead daemon sent may still be in the guest's hands (a native PCIe unplug
   * takes seconds). Plugging back before it completes would lose the device a moment later, so
   * each one still listed is given the plan's unplug deadline to go; then what is gone is plugged
   * back, and what stays is reported as pending, as a live rollback does.
   */
  private CompletableFuture<Void> awaitPendingUnplugs() {
    Map<String, CompletableFuture<QmpEvent>> deletions = new LinkedHashMap<>();
    for (String id : ctx.sourceDevices.keySet()) {
      if (journaled.unplugRequested().contains(id)) {
        deletions.put(id, ctx.source.awaitEvent(QmpEvents.deviceDeleted(id), ctx.plan.timeouts().unplug()));
      }
    }
    // Asked after subscribing, so a deletion in between is not missed.
    return ctx.waitOn(ctx.source.queryPci()).thenCompose(pci -> {
      List<String> present = ids(pci);
      List<CompletableFuture<Void>> waits = new ArrayList<>();
      for (String id : ctx.sourceDevices.keySet()) {
        if (!present.contains(id)) {
          ctx.unplugged.add(id);
        } else if (deletions.containsKey(id)) {
          ctx.unplugPending.add(id);
          ctx.events.device(Phase.ROLLBACK, id, "unplug-awaited", Map.of());
          waits.add(deletions.get(id).handle((event, error) -> {
            if (error == null) {
              ctx.unplugPending.remove(id);
              ctx.unplugged.add(id);
            }
            return null;
          }));
        }
      }
      return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
    });
  }

  private CompletableFuture<List<PlugResult>> plugDestination(FoundState destination, boolean beforeCommit) {
    if (ctx.plan.mode() == Mode.FAILOVER) {
      return CompletableFuture.completedFuture(List.of()); // QEMU's failover plugs the primaries itself
    }
    Map<String, Map<String, Object>> devices = new LinkedHashMap<>();
    ctx.sourceDevices.forEach((id, device) -> {
      if (!destination.has(id)) {
        devices.put(id, device.destinationProperties(ctx.device(id).destinationProperties()));
      }
    });
    return ctx.destination.plug(devices, ctx.plan.timeouts().replug(), false);
  }

  private CompletableFuture<Void> commit() {
    return enter(Phase.COMMIT).thenCompose(v -> Commit.run(ctx, () -> { })).thenApply(at -> null);
  }

  private MigrationOutcome.Draft onDestination(List<PlugResult> results, String why) {
    List<String> missing = results.stream().filter(r -> !r.plugged()).map(r -> r.device() + " (" + r.error() + ")").toList();
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("recovered", true);
    state.put("interruptedIn", journaled.lastPhase().name());
    state.put("destination", "running");
    state.put("why", why);
    if (missing.isEmpty()) {
      return new MigrationOutcome.Draft(Result.SUCCEEDED, null, state);
    }
    state.put("missingDevices", missing);
    return new MigrationOutcome.Draft(Result.DEGRADED, "recovered: running on the destination without " + String.join(", ", missing), state);
  }

  private CompletableFuture<MigrationOutcome.Draft> failed(String reason, Found found) {
    Map<String, Object> state = new LinkedHashMap<>(found.toDetail());
    return CompletableFuture.completedFuture(withRecovery(new MigrationOutcome.Draft(Result.FAILED, "recovered: " + reason, state), found));
  }

  private MigrationOutcome.Draft withRecovery(MigrationOutcome.Draft draft, Found found) {
    Map<String, Object> state = new LinkedHashMap<>(draft.state());
    state.put("recovered", true);
    state.put("interruptedIn", journaled.lastPhase().name());
    state.put("found", found.toDetail());
    return new MigrationOutcome.Draft(draft.result(), draft.reason(), state);
  }

  private CompletableFuture<Void> enter(Phase next) {
    CompletableFuture<Void> durable = ctx.journal.record(next, JournalStep.PHASE_ENTERED, Map.of("recovery", true));
    if (next == Phase.ROLLBACK) {
      durable = durable.exceptionally(error -> null); // putting things back goes ahead regardless
    }
    return durable.thenRun(() -> {
      synchronized (this) {
        if (started) {
          ctx.events.phaseCompleted(ctx.phase);
        }
        started = true;
        ctx.phase = next;
        ctx.events.phaseStarted(next);
      }
    });
  }

  private CompletableFuture<MigrationOutcome.Draft> journalEnd(MigrationOutcome.Draft draft) {
    return ctx.journal.record(Phase.DONE, JournalStep.RESULT, Map.of("result", draft.result().name(), "recovered", true))
        .handle((v, error) -> draft);
  }

  private MigrationOutcome finish(MigrationOutcome.Draft draft) {
    if (started) {
      ctx.events.phaseCompleted(ctx.phase);
    }
    MigrationOutcome outcome = new MigrationOutcome(ctx.plan.id(), draft.result(), draft.reason(), null, draft.state());
    ctx.events.result(outcome);
    taps.forEach(EventSubscription::close);
    if (ctx.source != null) {
      ctx.source.close();
    }
    ctx.destination.close();
    return outcome;
  }

  private static List<String> ids(List<PciDeviceInfo> pci) {
    return pci.stream().map(PciDeviceInfo::qdevId).filter(id -> id != null && !id.isEmpty()).toList();
  }
}
