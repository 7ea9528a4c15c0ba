package io.ferry.agent.daemon;

import io.ferry.agent.event.EventBus;
import io.ferry.agent.journal.InFlightIncoming;
import io.ferry.agent.journal.InFlightMigration;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.agent.migration.HostDevices;
import io.ferry.agent.migration.Incoming;
import io.ferry.agent.migration.Incomings;
import io.ferry.agent.migration.Migration;
import io.ferry.agent.migration.MigrationRefusedException;
import io.ferry.agent.migration.Migrator;
import io.ferry.agent.peer.PeerClient;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.vfio.VfioDevices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the daemon does, free of HTTP: runs migrations (publishing to one {@link EventBus}), answers
 * for them, lists devices, and drains on shutdown. Every method returns at once; anything slow is
 * a future.
 */
public final class DaemonCore {
  /** Finished migrations kept for {@code GET /v1/migrations} (the bus keeps fewer histories). */
  static final int RETAINED_FINISHED = 256;

  private final EventBus bus;
  private final Migrator migrator;
  private final DeviceActions devices;
  private final Incomings incomings;
  private final IncomingEndpoints incoming;
  private final PeerClient peers;
  private final DaemonMetrics metrics = new DaemonMetrics();
  private final Object lock = new Object();
  // Guarded by lock; insertion order = start order.
  private final LinkedHashMap<String, Migration> migrations = new LinkedHashMap<>();
  private final MigrationViews views = new MigrationViews();
  private boolean draining;

  /**
   * @param vfio the host's devices (or a fake kernel's, in tests)
   * @param blocking where device work (sysfs reads and writes) runs; not a Netty event loop
   */
  public DaemonCore(EventBus bus, VfioDevices vfio, Executor blocking) {
    this(bus, vfio, blocking, MigrationJournal.NONE);
  }

  /** With a journal: every migration's state changes are written there before they are made. */
  public DaemonCore(EventBus bus, VfioDevices vfio, Executor blocking, MigrationJournal journal) {
    this(bus, vfio, blocking, journal, HostDevices.none(), null);
  }

  /**
   * @param journal every migration's state changes are written there before they are made
   * @param hostDevices binds the passthrough devices an incoming migration names ({@code host})
   * @param peers the mutual-TLS client for plans whose destination is a peer agent; null if this
   *     daemon has no TLS identity (such plans are then refused)
   */
  public DaemonCore(EventBus bus, VfioDevices vfio, Executor blocking, MigrationJournal journal,
      HostDevices hostDevices, PeerClient peers) {
    this(bus, vfio, blocking, journal, hostDevices, peers, Incomings.DEFAULT_LEASE);
  }

  /**
   * @param incomingLease how long an incoming migration waits without a call from its source
   *     before it aborts itself ({@code ferry serve --incoming-lease})
   */
  public DaemonCore(EventBus bus, VfioDevices vfio, Executor blocking, MigrationJournal journal,
      HostDevices hostDevices, PeerClient peers, Duration incomingLease) {
    this.bus = bus;
    this.peers = peers;
    this.migrator = new Migrator(bus, journal, metrics::qmpRoundTrip, peers);
    this.devices = new DeviceActions(vfio, blocking);
    this.incomings = new Incomings(bus, hostDevices, journal, incomingLease);
    this.incoming = new IncomingEndpoints(incomings);
  }

  /**
   * Settles the incoming migrations (this host their destination) the journal shows unfinished:
   * see {@link Incomings#recover}. Each is listed with {@code "recovered": true}.
   */
  public CompletableFuture<Void> recoverIncoming(List<InFlightIncoming> inFlight) {
    return incomings.recover(inFlight);
  }

  /**
   * Takes over the migrations the journal shows in flight (see {@link Migrator#recover}); each
   * is listed like any other, with {@code "recovered": true}, and its events go to the bus.
   * Returns when all of them have ended.
   */
  public CompletableFuture<Void> recover(List<InFlightMigration> inFlight) {
    List<Migration> started = new ArrayList<>();
    for (InFlightMigration journaled : inFlight) {
      Migration migration;
      synchronized (lock) {
        try {
          migration = migrator.recover(journaled);
        } catch (MigrationRefusedException e) {
          System.err.println("ferry: cannot recover migration " + journaled.id() + ": " + e.getMessage());
          continue;
        }
        migrations.put(journaled.id(), migration);
      }
      migration.outcome().thenAccept(metrics::migrationEnded);
      started.add(migration);
    }
    return allEnded(started, List.of());
  }

  public EventBus bus() {
    return bus;
  }

  public DaemonMetrics metrics() {
    return metrics;
  }

  /** Handles every action but {@link ApiAction.StreamEvents} (the HTTP edge streams those). */
  public CompletableFuture<ApiResponse> handle(ApiAction action) {
    try {
      if (action instanceof ApiAction.StartMigration a) {
        return CompletableFuture.completedFuture(start(a.plan()));
      } else if (action instanceof ApiAction.ListMigrations) {
        return CompletableFuture.completedFuture(ApiResponse.json(200, list()));
      } else if (action instanceof ApiAction.GetMigration a) {
        return CompletableFuture.completedFuture(ApiResponse.json(200, viewOf(a.id())));
      } else if (action instanceof ApiAction.CancelMigration a) {
        return CompletableFuture.completedFuture(cancel(a.id()));
      } else if (action instanceof ApiAction.ListDevices) {
        return devices.list();
      } else if (action instanceof ApiAction.PrepareDevice a) {
        return devices.prepare(a.request());
      } else if (action instanceof ApiAction.ReleaseDevice a) {
        return devices.release(a.address());
      } else if (action instanceof ApiAction.Health) {
        return CompletableFuture.completedFuture(ApiResponse.json(200, health()));
      } else if (action instanceof ApiAction.CreateIncoming && draining()) {
        throw new ApiException(503, "shutting_down", "the daemon is stopping and takes no new incoming migrations");
      } else if (action instanceof ApiAction.CreateIncoming || action instanceof ApiAction.PlugIncoming
          || action instanceof ApiAction.CommitIncoming || action instanceof ApiAction.AbortIncoming
          || action instanceof ApiAction.RenewIncoming) {
        return incoming.handle(action);
      } else if (action instanceof ApiAction.Metrics) {
        return CompletableFuture.completedFuture(ApiResponse.text(metrics.render(this::running)));
      }
      // StreamEvents: the HTTP edge subscribes the client to the bus itself.
      throw new IllegalArgumentException("not handled by the core: " + action);
    } catch (ApiException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * True if the daemon knows this migration (running, finished, or with retained events), as its
   * source or as its destination (incoming).
   */
  public boolean knows(String id) {
    synchronized (lock) {
      if (migrations.containsKey(id)) {
        return true;
      }
    }
    return incomings.get(id).isPresent() || !bus.history(id).isEmpty();
  }

  /**
   * True if the migration has ended and the bus no longer holds its events (the bus keeps fewer
   * histories than the daemon keeps migrations): a stream of it would never see its result.
   */
  public boolean eventsForgotten(String id) {
    Migration m;
    synchronized (lock) {
      m = migrations.get(id);
    }
    if (m != null) {
      return m.outcome().isDone() && bus.history(id).isEmpty();
    }
    return incomings.get(id).map(in -> in.outcome() != null && bus.history(id).isEmpty()).orElse(false);
  }

  private ApiResponse start(MigrationPlan plan) {
    if (plan.destination().agent().isPresent() && peers == null) {
      throw new ApiException(400, "no_peer_tls", "the plan's destination is the peer agent "
          + plan.destination().agent().get() + ", but this daemon was started without --tls-cert,"
          + " --tls-key and --tls-ca, so it cannot reach it");
    }
    Migration migration;
    synchronized (lock) {
      if (draining) {
        throw new ApiException(503, "shutting_down", "the daemon is stopping and takes no new migrations");
      }
      if (migrations.containsKey(plan.id()) || !bus.history(plan.id()).isEmpty()) {
        throw new ApiException(409, "duplicate_id", "a migration with id " + plan.id() + " already exists");
      }
      try {
        migration = migrator.start(plan);
      } catch (MigrationRefusedException e) {
        throw new ApiException(409, "source_busy", e.getMessage());
      }
      migrations.put(plan.id(), migration);
      forgetOldFinished();
    }
    migration.outcome().thenAccept(metrics::migrationEnded);
    return ApiResponse.json(202, Map.of("id", plan.id()));
  }

  private void forgetOldFinished() {
    int excess = migrations.size() - RETAINED_FINISHED;
    for (Iterator<Migration> it = migrations.values().iterator(); it.hasNext() && excess > 0; ) {
      Migration m = it.next();
      if (m.outcome().isDone()) {
        it.remove();
        views.forget(m);
        excess--;
      }
    }
  }

  /** An outgoing migration by that id, else an incoming one (a daemon is rarely both for one id). */
  private Object viewOf(String id) {
    synchronized (lock) {
      // Under the lock: a view encoded once forgetOldFinished() has dropped its migration would
      // stay in the cache for good.
      Migration m = migrations.get(id);
      if (m != null) {
        return views.of(m);
      }
    }
    return incomings.get(id).map(IncomingView::of)
        .orElseThrow(() -> new ApiException(404, "unknown_migration", "no migration with id " + id));
  }

  private Migration find(String id) {
    synchronized (lock) {
      Migration m = migrations.get(id);
      if (m == null) {
        throw new ApiException(404, "unknown_migration", "no migration with id " + id);
      }
      return m;
    }
  }

  private ApiResponse cancel(String id) {
    Migration m = find(id);
    if (m.ended() != null) {
      throw new ApiException(409, "already_finished", "migration " + id + " has already ended");
    }
    m.cancel();
    return ApiResponse.json(202, MigrationViews.view(m));
  }

  /** The migrations this host sources, in start order, then those it receives. */
  private List<Object> list() {
    List<Object> out;
    synchronized (lock) { // see viewOf
      out = new ArrayList<>(migrations.size());
      for (Migration m : migrations.values()) {
        out.add(views.of(m));
      }
    }
    for (Incoming in : incomings.all()) {
      out.add(IncomingView.of(in));
    }
    return out;
  }

  private Map<String, Object> health() {
    synchronized (lock) {
      return Map.of("status", draining ? "stopping" : "ok", "running", running(),
          "incoming", unendedIncoming().size());
    }
  }

  int running() {
    synchronized (lock) {
      return (int) migrations.values().stream().filter(m -> m.ended() == null).count();
    }
  }

  private List<Incoming> unendedIncoming() {
    return incomings.all().stream().filter(in -> !in.ended().isDone()).toList();
  }

  private boolean draining() {
    synchronized (lock) {
      return draining;
    }
  }

  /**
   * Stops taking migrations, outgoing and incoming (503 from now on), waits up to {@code grace}
   * for the running ones to end, then cancels the outgoing ones still running (which rolls them
   * back if they are before the commit) and aborts the incoming ones not committed (their QEMU quit,
   * their devices released: no daemon will be here to plug or commit them), and waits for all to
   * end. Completes when none runs.
   */
  public CompletableFuture<Void> drain(Duration grace) {
    List<Migration> running;
    List<Incoming> incoming;
    synchronized (lock) {
      draining = true;
      running = migrations.values().stream().filter(m -> !m.outcome().isDone()).toList();
    }
    incoming = unendedIncoming();
    return allEnded(running, incoming).orTimeout(grace.toMillis(), TimeUnit.MILLISECONDS)
        .handle((ok, error) -> error)
        .thenCompose(error -> {
          if (error == null || !(unwrap(error) instanceof TimeoutException)) {
            return CompletableFuture.<Void>completedFuture(null);
          }
          running.forEach(Migration::cancel);
          incoming.forEach(Incoming::abortForShutdown);
          return allEnded(running, incoming);
        });
  }

  private static CompletableFuture<Void> allEnded(List<Migration> ms, List<Incoming> incoming) {
    List<CompletableFuture<?>> all = new ArrayList<>();
    ms.forEach(m -> all.add(m.outcome()));
    incoming.forEach(in -> all.add(in.ended()));
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
