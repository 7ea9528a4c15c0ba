package io.ferry.agent.migration;

import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.Side;
import io.ferry.agent.migration.IncomingException.Kind;
import io.ferry.agent.plan.DevicePlan;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpEventListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The destination's half of a two-host migration, run by the destination host's daemon on behalf
 * of the source's (the peer protocol): prepare (devices, checks, capabilities, {@code
 * migrate-incoming}), then plug, commit or abort. Its events go out under the plan's id with the
 * destination QEMU's events, so a subscriber on this host follows it like any migration.
 *
 * <p>One request at a time, except {@link #abort}, which may interrupt a plug (it quits the QEMU
 * the plug talks to) but never a commit, whose outcome must be known before anything is undone.
 */
public final class Incoming {
  /** Where an incoming migration stands. */
  public enum State { LISTENING, PLUGGED, COMMITTED, ABORTED, FAILED }

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration QUIT_GRACE = Duration.ofSeconds(10);
  private static final Duration LOAD_SETTLE = Duration.ofSeconds(30);

  private final MigrationPlan plan;
  private final RunEvents events;
  private final HostDevices devices;
  private final List<String> prepared = Collections.synchronizedList(new ArrayList<>());
  private volatile QmpClient qmp;
  private volatile EventSubscription tap;
  private volatile CompletableFuture<QmpEvent> loaded;
  private volatile Phase phase = Phase.PREFLIGHT;
  private boolean loadReported; // guarded by this
  private boolean phaseFailed; // guarded by this: the current phase already has its FAILED event
  private State state; // guarded by this; null while opening
  private String busyWith; // guarded by this

  private Incoming(MigrationPlan plan, HostDevices devices, EventSink sink) {
    this.plan = plan;
    this.devices = devices;
    this.events = new RunEvents(plan.id(), sink);
  }

  /**
   * Prepares the destination for {@code plan}: binds the devices that name a {@code host}, checks
   * the destination QEMU is paused in {@code inmigrate}, sets the capabilities and parameters, and
   * starts {@code migrate-incoming} on the plan's uri. On failure, undoes what it did and fails
   * with an {@link IncomingException}.
   */
  static CompletableFuture<Incoming> open(MigrationPlan plan, HostDevices devices, EventSink sink) {
    Incoming in = new Incoming(plan, devices, sink);
    in.events.phaseStarted(Phase.PREFLIGHT);
    return in.prepareDevices()
        .thenCompose(v -> QmpClient.connect(plan.destination().qmp())
            .orTimeout(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
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
          Map<String, Boolean> capabilities = new LinkedHashMap<>(plan.migration().capabilities());
          capabilities.put("events", true); // the load's completion is a MIGRATION event
          return in.qmp.migrateSetCapabilities(capabilities);
        })
        .thenCompose(v -> in.qmp.migrateSetParameters(plan.migration().parameters()))
        .thenCompose(v -> {
          Duration horizon = plan.timeouts().unplug().plus(plan.timeouts().migration()).plus(LOAD_SETTLE);
          // Registered before migrate-incoming: the stream may arrive at once.
          in.loaded = in.qmp.awaitEvent(QmpEvents.migrationStatus(Set.of("completed", "failed")), horizon);
          return in.qmp.migrateIncoming(plan.uri().toQemuUri());
        })
        .thenApply(v -> {
          in.events.phaseDetail(Phase.PREFLIGHT, Map.of("uri", plan.uri().toQemuUri(), "prepared", List.copyOf(in.prepared)));
          in.enter(Phase.MIGRATE);
          synchronized (in) {
            in.state = State.LISTENING;
          }
          return in;
        })
        .exceptionallyCompose(in::undoOpen);
  }

  public String id() {
    return plan.id();
  }

  public MigrationPlan plan() {
    return plan;
  }

  public synchronized State state() {
    return state;
  }

  /** The host PCI addresses bound for this migration. */
  public List<String> prepared() {
    return List.copyOf(prepared);
  }

  /**
   * Waits for the destination to have loaded the stream, then plugs {@code devices} (id to {@code
   * device_add} properties, without {@code id}) into the paused destination. Never fails for one
   * device: each device's outcome is in the list.
   */
  public CompletableFuture<List<PlugResult>> plug(Map<String, Map<String, Object>> devices) {
    begin("plug", Set.of(State.LISTENING));
    return awaitLoaded()
        .thenCompose(v -> {
          enter(Phase.REPLUG);
          List<CompletableFuture<PlugResult>> plugs = new ArrayList<>();
          devices.forEach((id, properties) -> plugs.add(plugOne(id, properties)));
          return CompletableFuture.allOf(plugs.toArray(CompletableFuture[]::new))
              .thenApply(done -> plugs.stream().map(CompletableFuture::join).toList());
        })
        .whenComplete((results, error) -> end(error == null ? State.PLUGGED : null));
  }

  /**
   * The point of no return: {@code cont} on the destination. Completes with QEMU's RESUME
   * timestamp (µs since the epoch) once the guest runs here; {@code announce-self} follows.
   */
  public CompletableFuture<Long> commit() {
    begin("commit", Set.of(State.LISTENING, State.PLUGGED));
    return awaitLoaded()
        .thenCompose(v -> {
          enter(Phase.COMMIT);
          CompletableFuture<QmpEvent> resumed = qmp.awaitEvent(QmpEvents.named("RESUME"), RESUME_TIMEOUT);
          return qmp.cont().thenCompose(accepted -> {
            synchronized (this) {
              state = State.COMMITTED; // the guest runs here now: nothing may undo it
            }
            return resumed.orTimeout(RESUME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          });
        })
        .thenApply(event -> {
          qmp.announceSelf().exceptionally(error -> {
            events.warning(Phase.COMMIT, null, "announce-self failed: " + Errors.message(error), Map.of());
            return null;
          });
          long at = event.timestamp().epochMicros();
          finish(Result.SUCCEEDED, null, Map.of("destination", "running", "resumedAtMicros", at));
          return at;
        })
        .handle((at, error) -> {
          boolean committed;
          synchronized (this) {
            committed = state == State.COMMITTED;
          }
          end(null);
          if (error == null) {
            return at;
          }
          if (committed) {
            finish(Result.FAILED, "after cont: " + Errors.message(error), Map.of("committed", true));
            throw new IncomingException(Kind.FAILED, "commit_unconfirmed",
                "cont was accepted, then: " + Errors.message(error));
          }
          // The caller may abort now: nothing here ran the guest.
          throw new IncomingException(Kind.FAILED, "not_committed",
              "the destination did not commit: " + Errors.message(error));
        });
  }

  /**
   * Gives up: quits the destination QEMU (it holds a guest that must never run here) and releases
   * every device prepared for it. Refused after the commit and while a commit is in flight;
   * a second abort answers with the same outcome.
   */
  public CompletableFuture<Map<String, Object>> abort() {
    synchronized (this) {
      if (state == State.COMMITTED) {
        throw new IncomingException(Kind.CONFLICT, "already_committed",
            "incoming " + id() + " is committed: the guest runs on this host and cannot be aborted");
      }
      if ("commit".equals(busyWith)) {
        throw new IncomingException(Kind.CONFLICT, "commit_in_progress",
            "incoming " + id() + " is committing; its outcome decides what happens next");
      }
      if (state == State.ABORTED || state == State.FAILED) {
        return CompletableFuture.completedFuture(Map.of("id", id(), "state", state.name().toLowerCase()));
      }
      state = State.ABORTED;
    }
    enter(Phase.ROLLBACK);
    Map<String, Object> outcome = Collections.synchronizedMap(new LinkedHashMap<>());
    outcome.put("id", id());
    outcome.put("state", "aborted");
    return quitDestination()
        .thenAccept(where -> outcome.put("destination", where))
        .thenCompose(v -> releaseDevices())
        .thenApply(problems -> {
          outcome.put("released", List.copyOf(prepared));
          if (problems.isEmpty()) {
            finish(Result.ROLLED_BACK, "aborted by the source", Map.copyOf(outcome));
          } else {
            outcome.put("problems", problems);
            finish(Result.FAILED, "aborted, but: " + String.join("; ", problems), Map.copyOf(outcome));
          }
          return Collections.unmodifiableMap(new LinkedHashMap<>(outcome)); // field order kept
        });
  }

  private CompletableFuture<Void> prepareDevices() {
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (DevicePlan device : plan.devices()) {
      Object host = device.destinationProperties().map(p -> p.get("host")).orElse(null);
      if (host == null) {
        continue; // an emulated device (the lab's e1000e): nothing to bind on this host
      }
      String address = host.toString();
      chain = chain.thenCompose(v -> {
        events.device(Phase.PREFLIGHT, device.id(), "prepare-requested", Map.of("host", address));
        return devices.prepare(address).thenRun(() -> {
          prepared.add(address);
          events.device(Phase.PREFLIGHT, device.id(), "prepared", Map.of("host", address));
        });
      });
    }
    return chain;
  }

  private CompletableFuture<List<String>> releaseDevices() {
    List<String> problems = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (String address : List.copyOf(prepared)) {
      chain = chain.thenCompose(v -> devices.release(address).handle((ok, error) -> {
        if (error != null) {
          problems.add("could not release " + address + ": " + Errors.message(error));
        }
        return null;
      }));
    }
    return chain.thenApply(v -> List.copyOf(problems));
  }

  private CompletableFuture<String> quitDestination() {
    QmpClient client = qmp;
    if (client == null || !client.isOpen()) {
      return CompletableFuture.completedFuture("gone");
    }
    events.step(Phase.ROLLBACK, "quit-destination", Map.of());
    CompletableFuture<Throwable> gone = client.disconnected();
    return client.quit()
        .handle((v, error) -> null)
        .thenCompose(v -> RunContext.copy(gone).completeOnTimeout(null, QUIT_GRACE.toMillis(), TimeUnit.MILLISECONDS))
        .thenApply(v -> client.isOpen() ? "still-running" : "quit");
  }

  private CompletableFuture<Incoming> undoOpen(Throwable error) {
    Throwable cause = Errors.unwrap(error);
    String reason = Errors.message(cause);
    synchronized (this) {
      events.phaseFailed(Phase.PREFLIGHT, reason);
      phaseFailed = true;
      state = State.FAILED;
    }
    return releaseDevices().thenCompose(problems -> {
      Map<String, Object> where = new LinkedHashMap<>();
      where.put("destination", "untouched");
      where.put("released", List.copyOf(prepared));
      finish(problems.isEmpty() ? Result.ROLLED_BACK : Result.FAILED,
          problems.isEmpty() ? reason : reason + "; " + String.join("; ", problems), where);
      throw cause instanceof IncomingException refused
          ? refused
          : new IncomingException(Kind.FAILED, "incoming_failed", "cannot prepare the destination: " + reason);
    });
  }

  /** The stream is loaded (the destination is paused with the guest), or why not. */
  private CompletableFuture<Void> awaitLoaded() {
    return loaded.thenAccept(event -> {
      synchronized (this) {
        if (!"completed".equals(QmpEvents.migrationStatusOf(event))) {
          throw new IncomingException(Kind.FAILED, "incoming_failed",
              "the destination failed to load the migration stream");
        }
        if (!loadReported) {
          loadReported = true;
          events.phaseCompleted(Phase.MIGRATE);
        }
      }
    });
  }

  private CompletableFuture<PlugResult> plugOne(String id, Map<String, Object> properties) {
    Map<String, Object> args = new LinkedHashMap<>(properties);
    args.put("id", id);
    events.device(Phase.REPLUG, id, "plug-requested", Map.of("side", "destination", "properties", args));
    return qmp.deviceAdd(args)
        .orTimeout(plan.timeouts().replug().toMillis(), TimeUnit.MILLISECONDS)
        .handle((v, error) -> {
          PlugResult result = error == null ? PlugResult.plugged(id) : PlugResult.failed(id, Errors.message(error));
          events.device(Phase.REPLUG, id, result.plugged() ? "plugged" : "plug-failed",
              result.plugged() ? Map.of("side", "destination")
                  : Map.of("side", "destination", "error", result.error()));
          return result;
        });
  }

  private synchronized void begin(String what, Set<State> allowed) {
    if (busyWith != null) {
      throw new IncomingException(Kind.CONFLICT, "busy", "incoming " + id() + " is busy with " + busyWith);
    }
    if (!allowed.contains(state)) {
      throw new IncomingException(Kind.CONFLICT, "wrong_state",
          "cannot " + what + " incoming " + id() + " in state " + state);
    }
    busyWith = what;
  }

  private synchronized void end(State next) {
    busyWith = null;
    if (next != null && state != State.ABORTED) {
      state = next;
    }
  }

  private synchronized void enter(Phase next) {
    if (phase != next) {
      if (phase != Phase.MIGRATE) {
        events.phaseCompleted(phase); // MIGRATE completes when the load is confirmed
      }
      phase = next;
      phaseFailed = false;
      events.phaseStarted(next);
    }
  }

  private void finish(Result result, String reason, Map<String, Object> where) {
    synchronized (this) {
      if (!phaseFailed && (result == Result.SUCCEEDED || result == Result.ROLLED_BACK)) {
        events.phaseCompleted(phase);
      } else if (!phaseFailed) {
        events.phaseFailed(phase, reason);
      }
    }
    events.result(new MigrationOutcome(id(), result, reason, null, where));
    if (tap != null) {
      tap.close();
    }
    if (qmp != null) {
      qmp.close();
    }
  }

  /** Carries the destination QEMU's events into this host's stream of the migration. */
  private final class Tap implements QmpEventListener {
    @Override
    public void onEvent(QmpEvent event) {
      if (QemuEventTap.OF_INTEREST.contains(event.name())) {
        events.qemu(phase, Side.DESTINATION, event);
      }
    }

    @Override
    public void onClosed(Throwable reason) {
      events.monitorClosed(phase, Side.DESTINATION, reason);
    }
  }
}
