package io.ferry.agent.event;

/** Receives migration events. */
@FunctionalInterface
public interface EventSink {

  void accept(MigrationEvent event);

  /**
   * Called once, after the last event this sink will get, when an {@link EventBus} drops it
   * (its queue overflowed, or {@link #accept} threw). The events it did get are a gap-free prefix;
   * everything from {@link SubscriberDroppedException#firstMissedSeq()} on is missing. The
   * subscription's {@link Subscription#done()} also fails with the same exception, so a caller that
   * does not override this still learns of the drop.
   */
  default void dropped(SubscriberDroppedException why) {}
}
