package io.ferry.agent.migration;

import io.ferry.agent.event.EventSink;
import io.ferry.agent.journal.InFlightIncoming;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.agent.migration.IncomingException.Kind;
import io.ferry.agent.plan.MigrationPlan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The incoming migrations of this host's daemon, by id (the plan's). One per destination QEMU at
 * a time; ids are never reused (their events are kept under that id).
 */
public final class Incomings {
  /** Ended incomings kept for lookups (a repeated abort, a late question, the listing). */
  static final int RETAINED_ENDED = 256;
  /** How long an incoming migration waits for a call from its source, unless told otherwise. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(60);

  /** One incoming migration and its preparation (which fails if it could not be prepared). */
  private record Entry(Incoming incoming, CompletableFuture<Incoming> opened) {}

  private final EventSink events;
  private final HostDevices devices;
  private final MigrationJournal journal;
  private final Duration lease;
  private final Map<String, Entry> byId = new LinkedHashMap<>(); // guarded by this; in start order

  public Incomings(EventSink events, HostDevices devices) {
    this(events, devices, MigrationJournal.NONE, DEFAULT_LEASE);
  }

  /**
   * @param journal where each incoming migration's bindings and state changes are written first
   * @param lease how long an incoming migration waits without a call from its source before it
   *     aborts itself
   */
  public Incomings(EventSink events, HostDevices devices, MigrationJournal journal, Duration lease) {
    this.events = events;
    this.devices = devices;
    this.journal = journal;
    this.lease = lease;
  }

  /** Prepares a new incoming migration; fails with {@link IncomingException}. */
  public CompletableFuture<Incoming> create(MigrationPlan plan) {
    Incoming in;
    CompletableFuture<Incoming> opening = new CompletableFuture<>();
    synchronized (this) {
      if (byId.containsKey(plan.id())) {
        return CompletableFuture.failedFuture(new IncomingException(Kind.CONFLICT, "duplicate_id",
            "an incoming migration with id " + plan.id() + " already exists"));
      }
      Path qmp = qmpOf(plan);
      for (Entry e : byId.values()) {
        if (qmpOf(e.incoming().plan()).equals(qmp) && !e.incoming().state().ended()) {
          return CompletableFuture.failedFuture(new IncomingException(Kind.CONFLICT, "destination_busy",
              "destination " + qmp + " is already taken by incoming migration " + e.incoming().id()));
        }
      }
      in = new Incoming(plan, devices, events, journal, leaseOf(plan), false, 0);
      byId.put(plan.id(), new Entry(in, opening));
      forgetOldEnded();
    }
    // Outside the lock: its steps may run on this thread, and they publish events.
    IncomingPreparation.run(in).whenComplete((ok, error) -> {
      if (error == null) {
        opening.complete(ok);
      } else {
        opening.completeExceptionally(error);
      }
    });
    return opening;
  }

  /** The plan's own lease ({@code timeouts.lease}, bounded by the plan's rules), else this daemon's. */
  private Duration leaseOf(MigrationPlan plan) {
    return plan.timeouts().lease().orElse(lease);
  }

  /**
   * Settles the incoming migrations the journal shows unfinished (see {@link IncomingRecovery});
   * each is listed with {@code recovered}. Completes when all of them have ended.
   */
  public CompletableFuture<Void> recover(List<InFlightIncoming> inFlight) {
    List<CompletableFuture<Void>> settled = new ArrayList<>();
    for (InFlightIncoming journaled : inFlight) {
      Incoming in = new Incoming(journaled.plan(), devices, events, journal, leaseOf(journaled.plan()), true,
          journaled.nextSeq());
      in.state(Incoming.State.RECOVERING);
      synchronized (this) {
        if (byId.containsKey(journaled.id())) {
          continue;
        }
        byId.put(journaled.id(), new Entry(in, CompletableFuture.completedFuture(in)));
      }
      settled.add(IncomingRecovery.run(in, journaled).exceptionally(error -> {
        System.err.println("ferry: cannot settle incoming migration " + journaled.id() + ": " + Errors.message(error));
        return null;
      }));
    }
    return CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new));
  }

  /** The incoming migration {@code id}, once prepared. */
  public synchronized Incoming find(String id) {
    Entry e = byId.get(id);
    if (e == null || e.opened().isCompletedExceptionally()) {
      throw new IncomingException(Kind.NOT_FOUND, "unknown_incoming", "no incoming migration with id " + id);
    }
    if (!e.opened().isDone()) {
      throw new IncomingException(Kind.CONFLICT, "busy", "incoming migration " + id + " is still being prepared");
    }
    return e.incoming();
  }

  /** Any incoming migration this daemon knows by that id, whatever its state (for the listing). */
  public synchronized Optional<Incoming> get(String id) {
    return Optional.ofNullable(byId.get(id)).map(Entry::incoming);
  }

  /** Every incoming migration kept, in start order. */
  public synchronized List<Incoming> all() {
    return byId.values().stream().map(Entry::incoming).toList();
  }

  private static Path qmpOf(MigrationPlan plan) {
    return plan.destination().qmp().toAbsolutePath().normalize();
  }

  private void forgetOldEnded() {
    int excess = byId.size() - RETAINED_ENDED;
    for (Iterator<Entry> it = byId.values().iterator(); it.hasNext() && excess > 0; ) {
      if (it.next().incoming().state().ended()) {
        it.remove();
        excess--;
      }
    }
  }
}
