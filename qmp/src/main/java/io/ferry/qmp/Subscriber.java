package io.ferry.qmp;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One subscription: a bounded queue filled by the I/O thread and drained, in order, by at most one
 * delivery thread at a time. The I/O thread never waits: when the queue is full the subscription
 * ends with a {@link QmpEventOverflowException} after the events already queued.
 */
final class Subscriber implements EventSubscription {
  private final QmpEventListener listener;
  private final int capacity;
  private final ArrayBlockingQueue<QmpEvent> queue;
  private final Executor executor;
  private final Runnable unregister;
  private final AtomicInteger work = new AtomicInteger();
  private final AtomicBoolean active = new AtomicBoolean(true);
  private volatile boolean cancelled;
  private volatile Throwable endReason;
  private boolean told; // touched only by the draining thread

  Subscriber(QmpEventListener listener, int capacity, Executor executor, Runnable unregister) {
    this.listener = listener;
    this.capacity = capacity;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.executor = executor;
    this.unregister = unregister;
  }

  /** Called on the I/O thread. */
  void offer(QmpEvent event) {
    if (!active.get()) {
      return;
    }
    if (!queue.offer(event)) {
      end(
          new QmpEventOverflowException(
              "event subscriber fell behind: its queue of "
                  + capacity
                  + " events was full when "
                  + event.name()
                  + " (QEMU time "
                  + event.timestamp().epochMicros()
                  + " us) arrived; the subscription was dropped after delivering the events"
                  + " queued before it"));
      return;
    }
    schedule();
  }

  /** Ends the subscription from outside (disconnect, overflow): queued events first, then onClosed. */
  void end(Throwable reason) {
    if (active.compareAndSet(true, false)) {
      endReason = reason;
      unregister.run();
      schedule();
    }
  }

  @Override
  public void close() {
    cancelled = true;
    if (active.compareAndSet(true, false)) {
      unregister.run();
    }
    queue.clear();
  }

  @Override
  public boolean isActive() {
    return active.get();
  }

  private void schedule() {
    if (work.getAndIncrement() == 0) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    int missed = 1;
    do {
      QmpEvent event;
      while (!cancelled && (event = queue.poll()) != null) {
        try {
          listener.onEvent(event);
        } catch (RuntimeException e) {
          queue.clear();
          end(new QmpException("event listener threw; subscription closed", e));
        }
      }
      if (!cancelled && !told && endReason != null && queue.isEmpty()) {
        told = true;
        try {
          listener.onClosed(endReason);
        } catch (RuntimeException ignored) {
          // The subscription is over; nothing left to tell a listener that fails while told so.
        }
      }
      missed = work.addAndGet(-missed);
    } while (missed != 0);
  }
}
