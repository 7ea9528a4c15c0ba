package io.ferry.qmp;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Threads that run event listeners, apart from the I/O threads. A cached pool: a listener stuck
 * in its callback holds one thread and delays nobody else.
 */
final class EventDelivery {
  private EventDelivery() {}

  private static final class Holder {
    static final ExecutorService POOL =
        Executors.newCachedThreadPool(new DefaultThreadFactory("qmp-events", true));
  }

  static ExecutorService executor() {
    return Holder.POOL;
  }
}
