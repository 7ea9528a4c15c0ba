package io.ferry.agent.event;

/** An {@link EventBus} stopped delivering to a subscriber that could not keep up or failed. */
public final class SubscriberDroppedException extends RuntimeException {

  private final String migration;
  private final long firstMissedSeq;

  SubscriberDroppedException(String message, String migration, long firstMissedSeq,
      Throwable cause) {
    super(message, cause);
    this.migration = migration;
    this.firstMissedSeq = firstMissedSeq;
  }

  /** The migration of the first event the subscriber did not get. */
  public String migration() {
    return migration;
  }

  /** The seq of the first event the subscriber did not get. */
  public long firstMissedSeq() {
    return firstMissedSeq;
  }
}
