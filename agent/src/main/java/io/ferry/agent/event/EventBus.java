package io.ferry.agent.event;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fans events out to any number of subscribers, after cloud-hypervisor's event monitor.
 *
 * <p>Publishing never blocks and never waits for a subscriber: it appends to the history and
 * offers the event to each subscriber's own bounded queue, which is drained on the delivery
 * executor, one task at a time per subscriber, in publication order; a {@link PacedSink}'s queue
 * is drained on the sink's own executor instead, and waits while the sink is not ready rather
 * than blocking a thread. A subscriber whose queue is
 * full is dropped, not waited for: it still gets the events already queued (a gap-free prefix),
 * then {@link EventSink#dropped}, and its {@link Subscription#done()} fails with {@link
 * SubscriberDroppedException}; the drop is also logged. A sink that throws is dropped the same way.
 * So a slow API client can neither delay the orchestrator (which publishes from Netty callbacks)
 * nor other subscribers, and never loses events without being told.
 *
 * <p>The bus keeps each migration's events (for the {@value #DEFAULT_RETAINED_MIGRATIONS} most
 * recently started migrations by default), so a late subscriber can ask for everything from seq 0.
 */
public final class EventBus implements EventSink, AutoCloseable {

  public static final int DEFAULT_QUEUE_CAPACITY = 4096;
  public static final int DEFAULT_RETAINED_MIGRATIONS = 64;

  // Events delivered per task before yielding the thread, so subscribers share the executor fairly.
  private static final int BATCH = 256;
  private static final System.Logger LOG = System.getLogger(EventBus.class.getName());
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final int queueCapacity;
  private final int retainedMigrations;
  private final Executor delivery;
  private final ExecutorService ownedDelivery;

  private final Object lock = new Object();
  // Guarded by lock. Insertion order = order in which migrations were first seen.
  private final LinkedHashMap<String, List<MigrationEvent>> history = new LinkedHashMap<>();
  private final List<Subscriber> subscribers = new ArrayList<>();
  private boolean closed;

  /** Default capacities; delivery on the bus's own daemon threads. */
  public EventBus() {
    this(DEFAULT_QUEUE_CAPACITY, DEFAULT_RETAINED_MIGRATIONS, null);
  }

  /**
   * @param queueCapacity default number of events a subscriber may fall behind by before it is
   *     dropped (history replayed at subscription comes on top)
   * @param retainedMigrations how many migrations' histories to keep
   * @param delivery where sinks other than {@link PacedSink}s run; {@code null} for the bus's own
   *     cached pool of daemon threads. Sinks may block (writing to a socket), so this must not be
   *     a Netty event loop, nor an executor that runs tasks on the calling thread (that would run
   *     sinks on the publisher).
   */
  public EventBus(int queueCapacity, int retainedMigrations, Executor delivery) {
    if (queueCapacity < 1 || retainedMigrations < 1) {
      throw new IllegalArgumentException("queueCapacity and retainedMigrations must be positive");
    }
    this.queueCapacity = queueCapacity;
    this.retainedMigrations = retainedMigrations;
    if (delivery == null) {
      this.ownedDelivery = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ferry-event-delivery-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      this.delivery = ownedDelivery;
    } else {
      this.ownedDelivery = null;
      this.delivery = delivery;
    }
  }

  /** Same as {@link #publish}. */
  @Override
  public void accept(MigrationEvent event) {
    publish(event);
  }

  /**
   * Records the event and hands it to every interested subscriber. Never blocks on a subscriber.
   *
   * @throws IllegalStateException when the bus is closed
   */
  public void publish(MigrationEvent event) {
    Objects.requireNonNull(event, "event");
    List<Subscriber> toRun = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the event bus is closed");
      }
      List<MigrationEvent> events = history.get(event.migration());
      if (events == null) {
        events = new ArrayList<>();
        history.put(event.migration(), events);
        while (history.size() > retainedMigrations) {
          Iterator<String> eldest = history.keySet().iterator();
          eldest.next();
          eldest.remove();
        }
      }
      events.add(event);
      for (Iterator<Subscriber> it = subscribers.iterator(); it.hasNext(); ) {
        Subscriber s = it.next();
        if (!s.wants(event)) {
          continue;
        }
        if (!s.offer(event)) {
          it.remove();
          s.overflowed(event);
        }
        toRun.add(s);
      }
    }
    toRun.forEach(Subscriber::schedule);
  }

  /**
   * Subscribes a sink with the bus's default queue capacity.
   *
   * @param migrationIdOrNull one migration's events, or {@code null} for all
   * @param withHistory first deliver the retained events (from seq 0) of that migration, or of all
   *     retained migrations; the history and the live events that follow have no gap and no
   *     duplicate
   * @throws IllegalStateException when the bus is closed
   */
  public Subscription subscribe(String migrationIdOrNull, boolean withHistory, EventSink sink) {
    return subscribe(migrationIdOrNull, withHistory, queueCapacity, sink);
  }

  /**
   * Subscribes a sink that may fall at most {@code queueCapacity} events behind before it is
   * dropped (a local NDJSON writer can afford more than a remote client).
   *
   * @see #subscribe(String, boolean, EventSink)
   */
  public Subscription subscribe(String migrationIdOrNull, boolean withHistory, int queueCapacity,
      EventSink sink) {
    Objects.requireNonNull(sink, "sink");
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be positive: " + queueCapacity);
    }
    Subscriber s;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the event bus is closed");
      }
      List<MigrationEvent> past = new ArrayList<>();
      if (withHistory) {
        if (migrationIdOrNull == null) {
          history.values().forEach(past::addAll);
        } else {
          past.addAll(history.getOrDefault(migrationIdOrNull, List.of()));
        }
      }
      s = new Subscriber(migrationIdOrNull, sink, queueCapacity + past.size());
      past.forEach(s::offer);
      subscribers.add(s);
    }
    s.schedule();
    return s;
  }

  /** The retained events of one migration, in seq order (empty when unknown or forgotten). */
  public List<MigrationEvent> history(String migrationId) {
    synchronized (lock) {
      return List.copyOf(history.getOrDefault(migrationId, List.of()));
    }
  }

  /** Drops one migration's history. */
  public void forget(String migrationId) {
    synchronized (lock) {
      history.remove(migrationId);
    }
  }

  /** Ends every subscription (normally) and stops the bus's own threads, if any. */
  @Override
  public void close() {
    List<Subscriber> all;
    synchronized (lock) {
      closed = true;
      all = new ArrayList<>(subscribers);
    }
    all.forEach(Subscriber::close);
    if (ownedDelivery != null) {
      ownedDelivery.shutdown();
    }
  }

  private void remove(Subscriber s) {
    synchronized (lock) {
      subscribers.remove(s);
    }
  }

  private final class Subscriber implements Subscription {
    private final String filter;
    private final EventSink sink;
    private final PacedSink paced; // the sink, when it is paced; else null
    private final Executor executor; // where drains run
    private final int capacity;
    private final ArrayDeque<MigrationEvent> queue = new ArrayDeque<>(); // guarded by itself
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean terminated = new AtomicBoolean();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    // Set once, under the bus lock, when the queue overflowed; the drain reports it when it has
    // delivered everything queued before the overflow.
    private volatile SubscriberDroppedException dropCause;

    Subscriber(String filter, EventSink sink, int capacity) {
      this.filter = filter;
      this.sink = sink;
      this.paced = sink instanceof PacedSink p ? p : null;
      this.executor = paced != null ? paced.executor() : delivery;
      this.capacity = capacity;
    }

    boolean wants(MigrationEvent e) {
      return filter == null || filter.equals(e.migration());
    }

    boolean offer(MigrationEvent e) {
      synchronized (queue) {
        if (queue.size() >= capacity) {
          return false;
        }
        queue.addLast(e);
        return true;
      }
    }

    void overflowed(MigrationEvent missed) {
      dropCause = new SubscriberDroppedException(
          "event subscriber " + sink + " dropped: it fell " + capacity
              + " events behind; it got every event before seq " + missed.seq()
              + " of migration " + missed.migration() + " and nothing after",
          missed.migration(), missed.seq(), null);
    }

    void schedule() {
      if (scheduled.compareAndSet(false, true)) {
        run();
      }
    }

    /** Starts a drain; the caller holds {@code scheduled}. */
    private void run() {
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException e) {
        // The bus or the sink's loop is closing; close() terminates this subscriber.
        scheduled.set(false);
      }
    }

    private void drain() {
      int delivered = 0;
      try {
        for (int i = 0; i < BATCH; i++) {
          if (terminated.get()) {
            return;
          }
          MigrationEvent e;
          synchronized (queue) {
            e = queue.peekFirst(); // only this drain takes from the queue
          }
          if (e == null) {
            break;
          }
          if (paced != null && !ready(e)) {
            return; // resumed by the sink's readiness, still holding `scheduled`
          }
          synchronized (queue) {
            if (queue.pollFirst() != e) {
              return; // close() emptied the queue meanwhile: nothing more goes to this sink
            }
          }
          try {
            sink.accept(e);
            delivered++;
          } catch (RuntimeException ex) {
            sinkFailed(e, ex);
            return;
          }
          if (filter != null && e.kind() == EventKind.RESULT) {
            // A one-migration subscription ends with that migration's last event.
            remove(this);
            if (terminated.compareAndSet(false, true)) {
              done.complete(null);
            }
            return;
          }
        }
      } finally {
        if (paced != null && delivered > 0) {
          paced.flush();
        }
      }
      scheduled.set(false);
      boolean more;
      synchronized (queue) {
        more = !queue.isEmpty();
      }
      if (more) {
        schedule(); // yield the thread to other subscribers, then go on
      } else if (dropCause != null) {
        terminate(dropCause);
      }
    }

    /**
     * True if the paced sink takes {@code next} now; otherwise the drain stops here and this
     * arranges its resumption (or the sink's drop, if it gave up on its reader).
     */
    private boolean ready(MigrationEvent next) {
      CompletableFuture<Void> ready = paced.ready();
      if (!ready.isDone()) {
        // flush() runs as the drain returns, so what the sink waits on does go out.
        ready.whenComplete((ok, failed) -> run());
        return false;
      }
      if (ready.isCompletedExceptionally()) {
        sinkFailed(next, ready.handle((ok, failed) -> failed).join());
        return false;
      }
      return true;
    }

    private void sinkFailed(MigrationEvent e, Throwable ex) {
      remove(this);
      Throwable cause = ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex;
      terminate(new SubscriberDroppedException(
          "event subscriber " + sink + " dropped: it failed on seq " + e.seq() + " of migration "
              + e.migration() + ": " + cause,
          e.migration(), e.seq(), cause));
    }

    private void terminate(SubscriberDroppedException why) {
      if (!terminated.compareAndSet(false, true)) {
        return;
      }
      LOG.log(Level.WARNING, why.getMessage());
      try {
        sink.dropped(why);
      } catch (RuntimeException ignored) {
        // The sink is already broken; done() below still tells its owner.
      }
      done.completeExceptionally(why);
    }

    @Override
    public CompletableFuture<Void> done() {
      return done;
    }

    @Override
    public void close() {
      remove(this);
      if (terminated.compareAndSet(false, true)) {
        synchronized (queue) {
          queue.clear();
        }
        done.complete(null);
      }
    }

    @Override
    public String toString() {
      return "subscription(" + (filter == null ? "all migrations" : filter) + " → " + sink + ")";
    }
  }
}
