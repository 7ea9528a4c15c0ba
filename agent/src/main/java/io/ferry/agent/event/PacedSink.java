package io.ferry.agent.event;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A sink that is never waited on: instead of blocking when its reader falls behind, it says when
 * it can take more, and the {@link EventBus} delivers to it on the sink's own executor (a network
 * connection's event loop), so a hundred of them cost no thread hand-offs. Every method is called
 * on {@link #executor()}.
 */
public interface PacedSink extends EventSink {

  /** Where the bus runs this sink's deliveries, one at a time. */
  Executor executor();

  /**
   * Done when the sink can take another event now. While it is not, the bus delivers nothing more
   * to this sink and holds its queue (the sink's queue capacity still bounds it); once it
   * completes the bus goes on. Completing exceptionally means the sink gave up on its reader (it
   * stalled too long, or went away): the bus drops the sink as if {@link #accept} had thrown.
   */
  CompletableFuture<Void> ready();

  /**
   * After a run of deliveries, before the bus yields or waits for {@link #ready()}: where the
   * sink's output goes out (a socket flush), once for the run rather than once per event.
   */
  void flush();
}
