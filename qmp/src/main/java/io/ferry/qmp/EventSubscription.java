package io.ferry.qmp;

/** A live subscription; closing it stops delivery (without calling {@code onClosed}). */
public interface EventSubscription extends AutoCloseable {
  @Override
  void close();

  /** False once closed by the subscriber, by overflow, or by disconnect. */
  boolean isActive();
}
