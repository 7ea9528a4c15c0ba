package io.ferry.agent.migration;

import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.Side;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.agent.migration.IncomingException.Kind;
import io.ferry.agent.plan.DurationText;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpEventListener;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The destination's half of a two-host migration, run by the destination host's daemon on behalf
 * of the source's (the peer protocol): prepare (devices, checks, capabilities, {@code
 * migrate-incoming}; {@link IncomingPreparation}), then plug, commit or abort ({@link
 * IncomingRollback}). Its events go out under the plan's id with the
 * destination QEMU's events, so a subscriber on this host follows it like any migration.
 *
 * <p>One request at a time, except {@link #abort}, which may interrupt a plug (it quits the QEMU
 * the plug talks to) but never a commit, whose outcome must be known before anything is undone.
 *
 * <p>Until the commit it holds a {@link Lease}: each call from the source renews it, and if the
 * source falls silent for a whole lease it is aborted as by the source ({@link State#EXPIRED}).
 * Device bindings and state changes are journaled before they are made, so that a restarted
 * daemon gives back what an uncommitted incoming migration held ({@link IncomingRecovery}).
 */
public final class Incoming {
  /** Where an incoming migration stands. */
  public enum State {
    PREPARING, LISTENING, PLUGGED, COMMITTED, ABORTED, EXPIRED, FAILED,
    /** A restarted daemon is settling it from its journal. */
    RECOVERING;

    /** True once nothing more can happen to it. */
    public boolean ended() {
      return this == COMMITTED || this == ABORTED || this == EXPIRED || this == FAILED;
    }

    /** As the API shows it: lower case. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final MigrationPlan plan;
  final RunEvents events;
  final RunJournal journal;
  final IncomingHostDevices hostDevices;
  final Lease lease;
  final FailoverWatch failover;
  private final boolean recovered;
  volatile QmpClient qmp;
  volatile EventSubscription tap;
  volatile CompletableFuture<QmpEvent> loaded;
  volatile Phase phase = Phase.PREFLIGHT;
  private volatile MigrationOutcome outcome;
  /** Completes with {@link #outcome} when it is set. */
  private final CompletableFuture<MigrationOutcome> ended = new CompletableFuture<>();
  private boolean loadReported; // guarded by this
  boolean phaseFailed; // guarded by this: the current phase already has its FAILED event
  State state = State.PREPARING; // guarded by this
  private String busyWith; // guarded by this
  private CompletableFuture<Map<String, Object>> givenUp; // guarded by this: the abort's answer

  Incoming(MigrationPlan plan, HostDevices devices, EventSink sink, MigrationJournal journal,
      Duration leaseLength, boolean recovered, long firstSeq) {
    this.plan = plan;
    this.events = new RunEvents(plan.id(), sink);
    this.journal = new RunJournal(plan.id(), journal, firstSeq);
    this.hostDevices = new IncomingHostDevices(devices, events, this.journal);
    this.lease = new Lease(leaseLength, this::leaseExpired);
    this.failover = new FailoverWatch(plan);
    this.recovered = recovered;
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

  synchronized void state(State next) {
    state = next;
  }

  public Phase phase() {
    return phase;
  }

  /** True if a restarted daemon settled this incoming migration from its journal. */
  public boolean recovered() {
    return recovered;
  }

  /** How it ended, once its result event is out (set just before the event: never after it). */
  public MigrationOutcome outcome() {
    return outcome;
  }

  /** Completes with the outcome once this incoming migration has ended (after its result event). */
  public CompletableFuture<MigrationOutcome> ended() {
    return ended;
  }

  /**
   * The daemon is stopping and its grace is over: an incoming migration not yet committed is
   * given up as an abort would (its QEMU quit, its devices released), since no daemon will be
   * here to plug or commit it. Committed, ended or committing ones are left to end by themselves.
   */
  public CompletableFuture<Void> abortForShutdown() {
    try {
      return giveUp(State.ABORTED, "the destination daemon stopped before the commit").thenAccept(o -> { });
    } catch (IncomingException notNow) {
      return CompletableFuture.completedFuture(null);
    }
  }

  /** The lease's length. */
  public Duration leaseLength() {
    return lease.length();
  }

  /** Time left before the lease expires; empty when it does not apply (not yet, or no longer). */
  public java.util.Optional<Duration> leaseRemaining() {
    synchronized (this) {
      if (state != State.LISTENING && state != State.PLUGGED) {
        return java.util.Optional.empty();
      }
    }
    return lease.stopped() ? java.util.Optional.empty() : java.util.Optional.of(lease.remaining());
  }

  /** The host PCI addresses bound for this migration. */
  public List<String> prepared() {
    return hostDevices.addresses();
  }

  /**
   * The source says it is still there ({@code POST .../renew}): the lease starts over. Refused
   * once the incoming migration has ended, so a source learns that its destination gave up.
   */
  public synchronized void renew() {
    if (state == State.RECOVERING) {
      throw new IncomingException(Kind.CONFLICT, "incoming_ended",
          "incoming " + id() + " is being settled by a restarted daemon; it will not go on");
    }
    if (state.ended()) {
      throw new IncomingException(Kind.CONFLICT, "incoming_ended",
          "incoming " + id() + " has ended (" + state.wireName() + ")"
              + (outcome != null && outcome.reason() != null ? ": " + outcome.reason() : ""));
    }
    lease.renew();
  }

  /**
   * Waits for the destination to have loaded the stream, then plugs {@code devices} (id to {@code
   * device_add} properties, without {@code id}) into the paused destination. Never fails for one
   * device: each device's outcome is in the list.
   */
  public CompletableFuture<List<PlugResult>> plug(Map<String, Map<String, Object>> devices) {
    if (failover.active()) {
      throw new IncomingException(Kind.CONFLICT, "wrong_state", "incoming " + id()
          + " is a failover migration: QEMU plugs its primaries itself once the guest negotiates the standby");
    }
    begin("plug", Set.of(State.LISTENING));
    return IncomingPlug.run(this, devices);
  }

  /**
   * The point of no return: {@code cont} on the destination. Completes once the guest runs here
   * (with QEMU's RESUME timestamp) and, in failover mode, once each standby was negotiated or its
   * wait ran out ({@link IncomingCommit}).
   */
  public CompletableFuture<IncomingCommitted> commit() {
    begin("commit", Set.of(State.LISTENING, State.PLUGGED));
    return IncomingCommit.run(this);
  }

  /**
   * Gives up at the source's request: quits the destination QEMU (it holds a guest that must
   * never run here) and releases every device prepared for it. Refused after the commit and while
   * a commit is in flight; a second abort (or one after the lease expired) answers with the same
   * outcome.
   */
  public CompletableFuture<Map<String, Object>> abort() {
    return giveUp(State.ABORTED, "aborted by the source");
  }

  private CompletableFuture<Map<String, Object>> giveUp(State as, String reason) {
    synchronized (this) {
      if (state == State.COMMITTED) {
        throw new IncomingException(Kind.CONFLICT, "already_committed",
            "incoming " + id() + " is committed: the guest runs on this host and cannot be aborted");
      }
      if (state == State.RECOVERING) {
        throw new IncomingException(Kind.CONFLICT, "busy",
            "incoming " + id() + " is being settled by a restarted daemon (it aborts it unless the guest runs here)");
      }
      if ("commit".equals(busyWith)) {
        throw new IncomingException(Kind.CONFLICT, "commit_in_progress",
            "incoming " + id() + " is committing; its outcome decides what happens next");
      }
      if (givenUp != null) {
        return givenUp;
      }
      if (state.ended()) { // failed to open, or settled by a restart: nothing is held
        return CompletableFuture.completedFuture(Map.of("id", id(), "state", state.wireName()));
      }
      state = as;
      lease.stop();
      givenUp = new CompletableFuture<>();
    }
    CompletableFuture<Map<String, Object>> done = IncomingRollback.run(this, as, reason);
    CompletableFuture<Map<String, Object>> answer;
    synchronized (this) {
      answer = givenUp;
    }
    done.whenComplete((o, error) -> {
      if (error == null) {
        answer.complete(o);
      } else {
        answer.completeExceptionally(error);
      }
    });
    return answer;
  }

  /**
   * The source has not called for a whole lease. A call still being answered proves it alive (and
   * a commit must not be interrupted): the lease then starts over.
   */
  private boolean leaseExpired() {
    synchronized (this) {
      if (busyWith != null) {
        return false;
      }
      if (state.ended()) {
        return true;
      }
    }
    String why = "lease expired: no call from the source for " + DurationText.format(lease.length());
    events.warning(phase, null, why + "; aborting the incoming migration", Map.of("lease", DurationText.format(lease.length())));
    try {
      giveUp(State.EXPIRED, why).exceptionally(error -> null);
    } catch (IncomingException raced) {
      // committed or committing in the meantime: the lease no longer applies
    }
    return true;
  }

  /** Releases every prepared device; what could not be released is in the list. */
  CompletableFuture<List<String>> releaseDevices() {
    return hostDevices.release(phase);
  }

  /** The stream is loaded (the destination is paused with the guest), or why not. */
  CompletableFuture<Void> awaitLoaded() {
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

  private synchronized void begin(String what, Set<State> allowed) {
    if (busyWith != null) {
      throw new IncomingException(Kind.CONFLICT, "busy", "incoming " + id() + " is busy with " + busyWith);
    }
    if (!allowed.contains(state)) {
      throw new IncomingException(Kind.CONFLICT, "wrong_state",
          "cannot " + what + " incoming " + id() + " in state " + state.wireName());
    }
    busyWith = what;
    lease.renew(); // a call from the source
  }

  /** A call ({@link #begin}) is answered: the state becomes {@code next} unless null or ended. */
  void endCall(State next) {
    end(next);
  }

  private synchronized void end(State next) {
    busyWith = null;
    lease.renew(); // the source hears the answer now: its next call is a lease away at most
    if (next != null && !state.ended()) {
      state = next;
    }
  }

  synchronized void enter(Phase next) {
    if (phase != next) {
      if (phase != Phase.MIGRATE) {
        events.phaseCompleted(phase); // MIGRATE completes when the load is confirmed
      }
      phase = next;
      phaseFailed = false;
      events.phaseStarted(next);
    }
  }

  /**
   * Ends it: the phase's own event, the journal's result record (a failed one only warns: the
   * next start then settles it again), then the result event.
   */
  CompletableFuture<Void> finish(Result result, String reason, Map<String, Object> where) {
    synchronized (this) {
      if (!phaseFailed && result != Result.FAILED) {
        events.phaseCompleted(phase);
      } else if (!phaseFailed) {
        events.phaseFailed(phase, reason);
      }
    }
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("result", result.name());
    if (reason != null) {
      detail.put("reason", reason);
    }
    if (recovered) {
      detail.put("recovered", true);
    }
    return journal.record(Phase.DONE, JournalStep.RESULT, detail)
        .handle((v, error) -> {
          if (error != null) {
            events.warning(phase, null, "the journal's result record failed: " + Errors.message(error), Map.of());
          }
          MigrationOutcome o = new MigrationOutcome(id(), result, reason, null, where);
          outcome = o; // before the event: whoever sees the result and asks finds it ended
          events.result(o);
          ended.complete(o);
          if (tap != null) {
            tap.close();
          }
          if (qmp != null) {
            qmp.close();
          }
          return null;
        });
  }

  /** Carries the destination QEMU's events into this host's stream of the migration. */
  final class Tap implements QmpEventListener {
    @Override
    public void onEvent(QmpEvent event) {
      failover.onEvent(event);
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
