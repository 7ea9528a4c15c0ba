package io.ferry.agent.migration;

import io.ferry.agent.event.EventSink;
import io.ferry.agent.migration.IncomingException.Kind;
import io.ferry.agent.plan.MigrationPlan;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The incoming migrations of this host's daemon, by id (the plan's). One per destination QEMU at
 * a time; ids are never reused (their events are kept under that id).
 */
public final class Incomings {
  /** Ended incomings kept for lookups (a repeated abort, a late question). */
  static final int RETAINED_ENDED = 256;

  private final EventSink events;
  private final HostDevices devices;
  private final Map<String, CompletableFuture<Incoming>> byId = new LinkedHashMap<>(); // guarded by this
  private final Map<String, Path> qmpById = new LinkedHashMap<>(); // guarded by this

  public Incomings(EventSink events, HostDevices devices) {
    this.events = events;
    this.devices = devices;
  }

  /** Prepares a new incoming migration; fails with {@link IncomingException}. */
  public CompletableFuture<Incoming> create(MigrationPlan plan) {
    CompletableFuture<Incoming> opening;
    synchronized (this) {
      if (byId.containsKey(plan.id())) {
        return CompletableFuture.failedFuture(new IncomingException(Kind.CONFLICT, "duplicate_id",
            "an incoming migration with id " + plan.id() + " already exists"));
      }
      Path qmp = plan.destination().qmp().toAbsolutePath().normalize();
      for (Map.Entry<String, CompletableFuture<Incoming>> e : byId.entrySet()) {
        if (qmpById.get(e.getKey()).equals(qmp) && live(e.getValue())) {
          return CompletableFuture.failedFuture(new IncomingException(Kind.CONFLICT, "destination_busy",
              "destination " + qmp + " is already taken by incoming migration " + e.getKey()));
        }
      }
      opening = Incoming.open(plan, devices, events);
      byId.put(plan.id(), opening);
      qmpById.put(plan.id(), qmp);
      forgetOldEnded();
    }
    return opening;
  }

  /** The incoming migration {@code id}, once prepared. */
  public synchronized Incoming find(String id) {
    CompletableFuture<Incoming> in = byId.get(id);
    if (in == null || in.isCompletedExceptionally()) {
      throw new IncomingException(Kind.NOT_FOUND, "unknown_incoming", "no incoming migration with id " + id);
    }
    Incoming found = in.getNow(null);
    if (found == null) {
      throw new IncomingException(Kind.CONFLICT, "busy", "incoming migration " + id + " is still being prepared");
    }
    return found;
  }

  private static boolean live(CompletableFuture<Incoming> in) {
    return !in.isDone() || (!in.isCompletedExceptionally() && !ended(in.join()));
  }

  private static boolean ended(Incoming in) {
    Incoming.State s = in.state();
    return s == Incoming.State.COMMITTED || s == Incoming.State.ABORTED || s == Incoming.State.FAILED;
  }

  private void forgetOldEnded() {
    int excess = byId.size() - RETAINED_ENDED;
    for (Iterator<Map.Entry<String, CompletableFuture<Incoming>>> it = byId.entrySet().iterator();
        it.hasNext() && excess > 0; ) {
      Map.Entry<String, CompletableFuture<Incoming>> e = it.next();
      if (!live(e.getValue())) {
        qmpById.remove(e.getKey());
        it.remove();
        excess--;
      }
    }
  }
}
