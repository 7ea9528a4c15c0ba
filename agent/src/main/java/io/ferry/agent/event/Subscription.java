package io.ferry.agent.event;

import java.util.concurrent.CompletableFuture;

/** A subscriber's registration with an {@link EventBus}. */
public interface Subscription extends AutoCloseable {

  /**
   * Completes normally when the subscription ends in order: {@link #close()}, the bus closed, or
   * (for a subscription to one migration) that migration's result event was delivered. Completes
   * exceptionally with {@link SubscriberDroppedException} when the bus dropped the subscriber.
   */
  CompletableFuture<Void> done();

  /** Stops delivery; events still queued are discarded. */
  @Override
  void close();
}
