package io.ferry.qmp;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads that run event listeners, apart from the I/O threads. A cached pool: a listener stuck
 * in its callback holds one thread and delays nobody else.
 */
final class EventDelivery {
  private EventDelivery() {}

  private static final class Holder {
    static final AtomicInteger COUNTER = new AtomicInteger();
    static final ExecutorService POOL =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread = new Thread(runnable, "qmp-events-" + COUNTER.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  static ExecutorService executor() {
    return Holder.POOL;
  }
}
